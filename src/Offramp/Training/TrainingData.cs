using Offramp.Data;

namespace Offramp.Training;

/// <summary>The batch sources of a run, built from its config.</summary>
/// <param name="Train">Training batches (shuffled, augmented).</param>
/// <param name="HeldOut">The stratified held-out part of the training set, or null when <c>held_out</c> is 0.</param>
/// <param name="Test">The test set.</param>
public sealed record TrainingData(IBatchSource Train, IBatchSource? HeldOut, IBatchSource Test)
{
    /// <summary>Samples of the <c>synthetic</c> data set's test split (its training split has <c>train_limit</c>
    /// samples, 2048 by default; its held-out split min(held_out, 512)).</summary>
    public const int SyntheticTestCount = 512;

    /// <summary>Builds the sources: Fashion-MNIST split into train and a stratified held-out part (seeded by
    /// <see cref="TrainConfig.Seed"/>), augmentation and normalisation, mixup/cutmix; or the synthetic task.</summary>
    /// <param name="config">The run's config.</param>
    /// <param name="prefetch">Prepare the next batch on a background task.</param>
    /// <exception cref="DatasetNotFoundException">The data set's files are missing; the message says how to get them.</exception>
    /// <exception cref="DataFormatException">A data file is malformed.</exception>
    /// <exception cref="ConfigException">The held-out size does not fit the data set.</exception>
    public static TrainingData Create(TrainConfig config, bool prefetch = true)
    {
        if (config.Dataset == "synthetic")
        {
            int[] shape = [1, FashionMnist.ImageSide, FashionMnist.ImageSide];
            int k = FashionMnist.ClassNames.Count;
            var train = new SyntheticBatchSource(config.TrainLimit ?? 2048, k, shape, config.BatchSize, config.Seed, noise: 2.0);
            var held = config.HeldOut > 0
                ? new SyntheticBatchSource(Math.Min(config.HeldOut, 512), k, shape, config.EvalBatchSize, config.Seed, false, 2.0, 1 << 24)
                : null;
            var test = new SyntheticBatchSource(SyntheticTestCount, k, shape, config.EvalBatchSize, config.Seed, false, 2.0, 1 << 25);
            return new TrainingData(train, held, test);
        }

        var data = FashionMnist.Load(config.DataDir);
        Dataset trainSet = data.Train;
        Dataset? heldOut = null;
        if (config.HeldOut > 0)
        {
            if (config.HeldOut >= data.Train.Count)
            {
                throw new ConfigException(null, "held_out", $"must be below the {data.Train.Count} training samples, got {config.HeldOut}");
            }

            var split = StratifiedSplit.Split(data.Train, config.HeldOut, config.Seed);
            trainSet = split.Train(data.Train);
            heldOut = split.HeldOut(data.Train);
        }

        if (config.TrainLimit is { } limit && limit < trainSet.Count)
        {
            trainSet = trainSet.Subset([.. Enumerable.Range(0, limit)], trainSet.Name + $"/first-{limit}");
        }

        var transforms = new List<IBatchTransform>();
        if (config.Augment)
        {
            if (config.CropPadding > 0)
            {
                transforms.Add(new RandomCrop(FashionMnist.ImageSide, config.CropPadding));
            }

            transforms.Add(new RandomHorizontalFlip());
        }

        transforms.Add(FashionMnist.Normalization);
        if (config.RandomErasing > 0)
        {
            transforms.Add(new RandomErasing(config.RandomErasing));
        }

        var mixup = config.MixupAlpha > 0 || config.CutmixAlpha > 0
            ? new Mixup(trainSet.NumClasses, config.MixupAlpha, config.CutmixAlpha, config.MixupProb, labelSmoothing: config.LabelSmoothing)
            : null;
        var trainLoader = new DataLoader(trainSet, new DataLoaderOptions
        {
            BatchSize = config.BatchSize, Shuffle = true, DropLast = config.DropLast, Seed = config.Seed, Transforms = transforms,
            Mixup = mixup, Prefetch = prefetch,
        });
        return new TrainingData(new DataLoaderBatchSource(trainLoader), heldOut is null ? null : Eval(heldOut), Eval(data.Test));

        DataLoaderBatchSource Eval(Dataset ds) => new(new DataLoader(ds, new DataLoaderOptions
        {
            BatchSize = config.EvalBatchSize, Shuffle = false, Seed = config.Seed, Transforms = [FashionMnist.Normalization], Prefetch = prefetch,
        }));
    }
}
