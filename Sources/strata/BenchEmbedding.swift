import ArgumentParser
import Foundation
import Benchmarking

/// `strata bench embedding`: the embedding kernels of one step (Model's
/// `EmbeddingBag.poolForward` and `gatherRows`, `RowAggregator.aggregate`,
/// `RowWiseAdagrad.step`, `EmbeddingSGD.step`) in GB/s of bytes moved, beside a
/// plain copy of a large buffer measured in the same run: the machine's
/// streaming memory bandwidth for one core.
struct BenchEmbedding: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedding",
        abstract: "Pooled and sequence lookups and row-wise updates, in GB/s, against memory bandwidth.",
        discussion: """
        The tables (default: the Kaggle shape, 26 x 100,000 rows of 16 floats, \
        166 MB) are one allocation; ids are uniform over all rows, so almost every \
        row read misses the caches, as in training. Bytes moved count every byte a \
        kernel reads or writes: table rows, ids, offsets, outputs, gradients and \
        accumulators (a row update reads and writes its row). The copy baseline is \
        memcpy of --copy-mib MiB, counted as read plus write. Medians over --reps \
        with the range (default 15 after 2 untimed); '% copy' = median kernel GB/s / median copy GB/s.
        """
    )

    @Option(help: "Tables.") var tables = 26
    @Option(help: "Rows per table.") var rows = 100_000
    @Option(help: "Embedding dimension.") var dim = 16
    @Option(help: "Samples per batch.") var batch = 2048
    @Option(name: .customLong("bag-sizes"), help: "Ids per pooled bag, comma separated (one row each).") var bagSizes = "1,10"
    @Option(name: .customLong("sequence-length"), help: "Ids per sample of the sequence (unpooled) lookup.") var sequenceLength = 20
    @Option(name: .customLong("copy-mib"), help: "Size of the copied buffer, MiB.") var copyMiB = 256
    @OptionGroup var bench: BenchOptions

    func validate() throws {
        guard tables > 0, rows > 0, dim > 0, batch > 0, sequenceLength > 0, copyMiB > 0 else {
            throw ValidationError("sizes must be positive")
        }
        guard let b = BenchOptions.ints(bagSizes), !b.isEmpty, b.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--bag-sizes must be positive integers, got '\(bagSizes)'")
        }
        guard tables * rows <= Int(Int32.max) else { throw ValidationError("tables x rows must fit in Int32") }
    }

    func run() throws {
        try EmbeddingBenchmark.run(tables: tables, rows: rows, dim: dim, batch: batch, bagSizes: BenchOptions.ints(bagSizes)!,
                                   sequenceLength: sequenceLength, copyMiB: copyMiB, settings: bench.settings(reps: 15, warmup: 2))
    }
}
