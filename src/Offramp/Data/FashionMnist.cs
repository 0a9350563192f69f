namespace Offramp.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017): 60,000 training and 10,000 test grey-scale 28×28 images of 10
/// clothing classes, read from the four IDX files of the official distribution (gzip or raw).
/// </summary>
/// <remarks>
/// The default folder is where Debian's <c>dataset-fashion-mnist</c> package installs the files. Every file is
/// read with <see cref="IdxReader"/> and checked: unsigned bytes, images of shape (N, 28, 28), labels of shape
/// (N,), equal N, labels below 10.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image height and width.</summary>
    public const int ImageSide = 28;

    /// <summary>
    /// Mean of the training pixels scaled to [0, 1]: the byte sum 3,431,114,169 over 47,040,000 pixels, divided by
    /// 255 (0.286041). Use with <see cref="Std"/> (see <see cref="Normalization"/>).
    /// </summary>
    public const float Mean = 0.2860406f;

    /// <summary>
    /// Standard deviation of the training pixels scaled to [0, 1] (population form, from the byte sum of squares
    /// 631,470,052,347): 0.353024.
    /// </summary>
    public const float Std = 0.3530242f;

    /// <summary>
    /// A <see cref="Data.Normalize"/> with the training set's <see cref="Mean"/> and <see cref="Std"/>.
    /// </summary>
    public static Normalize Normalization => new(Mean, Std);

    /// <summary>The official class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The four files, without the optional <c>.gz</c>.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>How to get the data set, for messages.</summary>
    public const string InstallHint =
        "install Debian's dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist), or pass --data DIR " +
        "naming a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and " +
        "t10k-labels-idx1-ubyte (each raw or .gz)";

    /// <summary>
    /// True when the four files are present in <paramref name="directory"/> (the default folder when null).
    /// </summary>
    public static bool IsAvailable(string? directory = null)
    {
        string dir = directory ?? DefaultDirectory;
        return FileNames.All(b => FindFile(dir, b) is not null);
    }

    /// <summary>Loads the training and test sets.</summary>
    /// <param name="directory">Folder with the four IDX files; <see cref="DefaultDirectory"/> when null.</param>
    /// <exception cref="DatasetNotFoundException">A file is missing; the message says how to get the data
    /// set.</exception>
    /// <exception cref="DataFormatException">A file is malformed or does not hold Fashion-MNIST-shaped
    /// data.</exception>
    public static FashionMnistData Load(string? directory = null) =>
        new(LoadSplit(directory, train: true), LoadSplit(directory, train: false));

    /// <summary>Loads one split: 60,000 training or 10,000 test images, shape (N, 1, 28, 28).</summary>
    /// <param name="directory">Folder with the IDX files; <see cref="DefaultDirectory"/> when null.</param>
    /// <param name="train">True for the training files (<c>train-*</c>), false for the test files
    /// (<c>t10k-*</c>).</param>
    /// <exception cref="DatasetNotFoundException">A file is missing; the message says how to get the data
    /// set.</exception>
    /// <exception cref="DataFormatException">A file is malformed or does not hold Fashion-MNIST-shaped
    /// data.</exception>
    public static ByteImageDataset LoadSplit(string? directory, bool train)
    {
        string dir = directory ?? DefaultDirectory;
        string prefix = train ? "train" : "t10k";
        var images = IdxReader.Read(Require(dir, prefix + "-images-idx3-ubyte"));
        var labels = IdxReader.Read(Require(dir, prefix + "-labels-idx1-ubyte"));

        byte[] pixels = images.Bytes;
        byte[] labelBytes = labels.Bytes;
        if (images.Shape is not [_, ImageSide, ImageSide])
        {
            throw new DataFormatException(
                images.FileName, $"images have shape {images.ShapeText}; expected N×{ImageSide}×{ImageSide}");
        }

        if (labels.Shape.Length != 1)
        {
            throw new DataFormatException(
                labels.FileName, $"labels have shape {labels.ShapeText}; expected one dimension");
        }

        if (labels.Shape[0] != images.Shape[0])
        {
            throw new DataFormatException(
                labels.FileName, $"{labels.Shape[0]} labels but {images.FileName} has {images.Shape[0]} images");
        }

        var y = new int[labelBytes.Length];
        for (int i = 0; i < y.Length; i++)
        {
            if (labelBytes[i] >= ClassNames.Count)
            {
                throw new DataFormatException(
                    labels.FileName, $"label {labelBytes[i]} of sample {i} is not below {ClassNames.Count}");
            }

            y[i] = labelBytes[i];
        }

        string name = $"fashion-mnist/{(train ? "train" : "test")}";
        return new ByteImageDataset(name, pixels, y, 1, ImageSide, ImageSide, ClassNames);
    }

    // The .gz file when present, else the raw one, else null.
    internal static string? FindFile(string dir, string baseName)
    {
        string gz = Path.Combine(dir, baseName + ".gz");
        if (File.Exists(gz))
        {
            return gz;
        }

        string raw = Path.Combine(dir, baseName);
        return File.Exists(raw) ? raw : null;
    }

    private static string Require(string dir, string baseName) =>
        FindFile(dir, baseName) ?? throw new DatasetNotFoundException(
            Directory.Exists(dir)
                ? $"Fashion-MNIST not found: {dir} has neither {baseName}.gz nor {baseName}; {InstallHint}"
                : $"Fashion-MNIST not found: folder {dir} does not exist; {InstallHint}",
            Path.Combine(dir, baseName + ".gz"));
}
