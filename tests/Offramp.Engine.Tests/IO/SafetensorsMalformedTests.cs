using System.Text;
using Offramp.Engine.IO;
using static Offramp.Engine.Tests.IO.SafetensorsTestFiles;

namespace Offramp.Engine.Tests.IO;

/// <summary>
/// A corpus of malformed safetensors files, one test case each: every file must be rejected with a
/// <see cref="SafetensorsFormatException"/> whose message names the file, the tensor (when one is at fault) and
/// the reason. The files are built here byte by byte so that each defect is visible in the table.
/// </summary>
public class SafetensorsMalformedTests
{
    private sealed record Case(byte[] Bytes, string Reason, string? Tensor = null);

    private static readonly string A4 = Entry("a", "F32", "[1]", 0, 4);

    private static readonly Dictionary<string, Case> Corpus = new()
    {
        // The 8-byte length prefix.
        ["empty_file"] = new([], "0 bytes, too short"),
        ["seven_byte_file"] = new([8, 0, 0, 0, 0, 0, 0], "7 bytes, too short"),
        ["header_length_past_file"] = new(WithLength(1000, "{}"), "header length 1000 runs past the end of the file"),
        ["header_length_over_cap"] = new(WithLength(100_000_001, "{}"), "exceeds the 100000000-byte cap"),
        ["header_length_u64_max"] = new(WithLength(ulong.MaxValue, "{}"), "header length 18446744073709551615 exceeds"),
        ["truncated_header"] = new(Build("{" + A4 + "}", 4)[..30], "runs past the end of the file"),

        // The header text.
        ["empty_header"] = new(Build(""), "not valid JSON"),
        ["not_json"] = new(Build("hello, world"), "not valid JSON"),
        ["json_array"] = new(Build("[1,2]"), "header is a JSON array, not an object"),
        ["json_string"] = new(Build("\"F32\""), "header is a JSON string, not an object"),
        ["json_null"] = new(Build("null"), "header is a JSON null, not an object"),
        ["trailing_comma"] = new(Build("{" + A4 + ",}", 4), "not valid JSON"),
        ["json_comment"] = new(Build("{/* hi */" + A4 + "}", 4), "not valid JSON"),
        ["nul_padding"] = new(Build("{" + A4 + "}\0\0\0", 4), "not valid JSON"),
        ["deep_nesting"] = new(Build("{\"__metadata__\":" + new string('[', 100) + new string(']', 100) + "}"), "not valid JSON"),
        ["utf8_bom"] = new(Build([0xEF, 0xBB, 0xBF, .. "{}"u8]), "byte-order mark"),
        ["invalid_utf8"] = new(Build([.. "{\"a"u8, 0xFF, .. "\":{}}"u8]), "not valid UTF-8 (byte 0xFF at header offset 3)"),
        ["overlong_utf8"] = new(Build([.. "{\""u8, 0xC0, 0xAF, .. "\":{}}"u8]), "not valid UTF-8 (byte 0xC0 at header offset 2)"),
        ["lone_surrogate_escape"] = new(Build("{\"\\ud800\":{}}"), "not valid Unicode"),

        // Keys.
        ["duplicate_tensor_names"] = new(Build("{" + A4 + "," + Entry("a", "F32", "[1]", 4, 8) + "}", 8), "duplicate tensor name", "a"),
        ["duplicate_metadata"] = new(Build("{\"__metadata__\":{},\"__metadata__\":{}}"), "duplicate key '__metadata__'"),
        ["duplicate_metadata_key"] = new(Build("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"), "duplicate key 'k' in '__metadata__'"),
        ["duplicate_field"] = new(Build("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "duplicate field 'dtype'", "a"),

        // One entry's fields.
        ["entry_not_object"] = new(Build("{\"a\":[1,2]}"), "entry is a JSON array", "a"),
        ["missing_dtype"] = new(Build("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "missing field 'dtype'", "a"),
        ["missing_shape"] = new(Build("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "missing field 'shape'", "a"),
        ["missing_data_offsets"] = new(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "missing field 'data_offsets'", "a"),
        ["unknown_field"] = new(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"endian\":\"big\"}}", 4), "unknown field 'endian'", "a"),
        ["unknown_dtype"] = new(Build("{" + Entry("a", "F33", "[1]", 0, 4) + "}", 4), "unknown dtype 'F33'", "a"),
        ["lowercase_dtype"] = new(Build("{" + Entry("a", "f32", "[1]", 0, 4) + "}", 4), "unknown dtype 'f32'", "a"),
        ["dtype_not_string"] = new(Build("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "dtype is a JSON number", "a"),
        ["shape_not_array"] = new(Build("{" + Entry("a", "F32", "4", 0, 4) + "}", 4), "shape is a JSON number", "a"),
        ["shape_negative_dim"] = new(Build("{" + Entry("a", "F32", "[-1]", 0, 4) + "}", 4), "shape[0] = -1 is not a non-negative integer", "a"),
        ["shape_fractional_dim"] = new(Build("{" + Entry("a", "F32", "[1,2.0]", 0, 8) + "}", 8), "shape[1] = 2.0 is not a non-negative integer", "a"),
        ["shape_exponent_dim"] = new(Build("{" + Entry("a", "F32", "[1e0]", 0, 4) + "}", 4), "shape[0] = 1e0 is not a non-negative integer", "a"),
        ["shape_string_dim"] = new(Build("{" + Entry("a", "F32", "[\"1\"]", 0, 4) + "}", 4), "shape[0] is a JSON string", "a"),
        ["shape_dim_beyond_u64"] = new(Build("{" + Entry("a", "F32", "[18446744073709551616]", 0, 4) + "}", 4), "does not fit in 64 bits", "a"),
        ["shape_overflow"] = new(Build("{" + Entry("a", "F32", "[4294967296,4294967296,2]", 0, 4) + "}", 4), "overflows", "a"),
        ["shape_dim_exceeds_int32"] = new(Build("{" + Entry("a", "F32", "[0,3000000000]", 0, 0) + "}"), "dimension 3000000000", "a"),
        ["shape_too_many_elements"] = new(Build("{" + Entry("a", "F32", "[65536,65536,0]", 0, 0) + "}"), "more than 2147483647 elements", "a"),
        ["offsets_reversed"] = new(Build("{" + Entry("a", "F32", "[1]", 8, 4) + "}", 8), "data_offsets [8, 4] are reversed", "a"),
        ["offsets_past_buffer"] = new(Build("{" + Entry("a", "F32", "[4]", 0, 16) + "}", 8), "run past the end of the data buffer (8 bytes)", "a"),
        ["offsets_one_value"] = new(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4), "array of two integers", "a"),
        ["offsets_three_values"] = new(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8), "array of two integers", "a"),
        ["offsets_negative"] = new(Build("{" + Entry("a", "F32", "[2]", -4, 4) + "}", 8), "data_offsets[0] = -4 is not a non-negative integer", "a"),
        ["data_shorter_than_shape"] = new(Build("{" + Entry("a", "F32", "[2,2]", 0, 8) + "}", 8), "needs 16 bytes, but data_offsets [0, 8] hold 8", "a"),
        ["data_longer_than_shape"] = new(Build("{" + Entry("a", "F16", "[2]", 0, 8) + "}", 8), "[2] of F16 needs 4 bytes", "a"),

        // How the entries tile the data buffer.
        ["overlapping_tensors"] = new(Build("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 4, 12) + "}", 12), "overlap tensor 'a'", "b"),
        ["same_range_twice"] = new(Build("{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("b", "F32", "[1]", 0, 4) + "}", 4), "overlap tensor 'a'", "b"),
        ["gap_between_tensors"] = new(Build("{" + A4 + "," + Entry("b", "F32", "[1]", 8, 12) + "}", 12), "gap of 4 bytes", "b"),
        ["gap_at_start"] = new(Build("{" + Entry("a", "F32", "[1]", 4, 8) + "}", 8), "gap of 4 bytes before data_offsets [4, 8] (the data buffer starts at 0)", "a"),
        ["trailing_bytes_after_last_tensor"] = new(Build("{" + A4 + "}", 6), "2 trailing bytes after the last tensor"),
        ["data_but_no_tensors"] = new(Build("{}", 8), "8 trailing bytes"),

        // Metadata.
        ["metadata_non_string_value"] = new(Build("{\"__metadata__\":{\"epoch\":3}}"), "key 'epoch' has a JSON number value"),
        ["metadata_object_value"] = new(Build("{\"__metadata__\":{\"k\":{\"a\":\"b\"}}}"), "key 'k' has a JSON object value"),
        ["metadata_not_object"] = new(Build("{\"__metadata__\":\"pt\"}"), "'__metadata__' is a JSON string, not an object"),
    };

    /// <summary>The case names, for the theory.</summary>
    public static TheoryData<string> Cases => new(Corpus.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_MalformedFile_RejectsWithFileTensorAndReason(string name)
    {
        var c = Corpus[name];
        var dir = TempDir("bad");
        try
        {
            var path = Path.Combine(dir, name + ".safetensors");
            File.WriteAllBytes(path, c.Bytes);
            var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(path));
            Assert.Contains($"safetensors file '{path}'", ex.Message, StringComparison.Ordinal);
            Assert.Contains(c.Reason, ex.Message, StringComparison.Ordinal);
            Assert.Equal(path, ex.SourceName);
            Assert.Equal(c.Tensor, ex.TensorName);
            if (c.Tensor is not null)
            {
                Assert.Contains($"tensor '{c.Tensor}'", ex.Message, StringComparison.Ordinal);
            }

            // The in-memory and stream readers apply the same rules.
            var fromSpan = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(c.Bytes));
            Assert.StartsWith("safetensors data: ", fromSpan.Message, StringComparison.Ordinal);
            Assert.Equal(ex.Reason, fromSpan.Reason);
            using var ms = new MemoryStream(c.Bytes);
            Assert.Equal(ex.Reason, Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(ms, "mem")).Reason);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Corpus_HasAtLeastTwentyCases() => Assert.True(Corpus.Count >= 20, $"{Corpus.Count} cases");

    [Fact]
    public void Read_HugeHostileName_ClipsItInTheMessage()
    {
        var name = new string('x', 100_000);
        var bytes = Build("{" + Entry(name, "F99", "[1]", 0, 4) + "}", 4);
        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Read(bytes));
        Assert.True(ex.Message.Length < 400, ex.Message[..200]);
        Assert.Contains("unknown dtype 'F99'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ValidFileWithReorderedEntriesAndPadding_IsAccepted()
    {
        // Older writers listed entries in other orders and padded with other whitespace; the official reader
        // sorts by offset and serde skips whitespace, so such files are valid.
        var header = "{" + Entry("b", "F32", "[1]", 4, 8) + ",\n" + A4 + ",\"__metadata__\":null}\t\r\n ";
        var file = Safetensors.Read(Build(Encoding.UTF8.GetBytes(header), 8));
        Assert.Equal(["a", "b"], file.Names);
        Assert.Null(file.Metadata);
    }
}
