import Tensors

/// Which samples a sampled profile counts: seeded blocks of
/// `blockSamples` consecutive samples out of the profiled global batches,
/// and the factor that scales their counts back to the batches.
///
/// Blocks, not single samples, because a batch counts a session's
/// user-side ids once (data.dedup): a block keeps whole sessions (any session
/// length dividing 256), so its counts are a batch's counts in miniature.
/// Each row's count is then an unbiased estimate of the full count, whose
/// relative error falls as 1/sqrt(reads seen): hot rows, which decide the
/// tiers, are read thousands of times and come out within a few percent
/// (docs/benchmarks/flexshard.md, "Sampled profiles", measures it on whole plans).
public struct ProfileSample: Sendable, Equatable {
    public static let blockSamples = 256

    /// Global sample ranges, increasing, each inside one global batch.
    public let blocks: [Range<Int>]
    /// Profiled samples over sampled samples (1: every sample).
    public let scale: Double

    /// `samples` of the `steps` global batches of `batchSize` (0, or at least
    /// all of them: every sample, in one block a batch).
    public init(steps: Int, batchSize: Int, samples: Int, seed: UInt64) {
        let total = steps * batchSize
        guard samples > 0, samples < total else {
            blocks = (0..<steps).map { $0 * batchSize..<($0 + 1) * batchSize }
            scale = 1
            return
        }
        // Blocks never straddle batches (a batch's last block may be short).
        let perBatch = (batchSize + Self.blockSamples - 1) / Self.blockSamples
        let want = min(steps * perBatch, (samples + Self.blockSamples - 1) / Self.blockSamples)
        var g = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: 0x5052_4F46, index: UInt64(total)))
        blocks = g.distinct(want, of: steps * perBatch).map { b in
            let s = b / perBatch, start = s * batchSize + (b % perBatch) * Self.blockSamples
            return start..<min(start + Self.blockSamples, (s + 1) * batchSize)
        }
        scale = Double(total) / Double(blocks.reduce(0) { $0 + $1.count })
    }
}
