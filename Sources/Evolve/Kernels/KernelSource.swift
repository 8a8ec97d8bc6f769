/// The kernels GEVO evolves, as C text compiled by the run itself (so the
/// built `strata` finds them anywhere; nothing is read from the repository).
/// Each is one exported function `kernel` in its own file plus a harness part
/// (inputs from the seed, the call, the outputs).
public enum KernelName: String, Codable, Sendable, CaseIterable {
    /// Strata's pooled embedding lookup: the sum of a bag's rows (Model/EmbeddingBag).
    case embeddingBag = "embedding_bag"
    /// DLRM's pairwise dot interaction: feature 0, then the strict lower triangle of X X^T (Model/DotInteraction).
    case dotInteraction = "dot_interaction"
    /// The sequence encoder's target attention: softmax over a sequence of p_b . row_i / sqrt(D) (Model/SequenceEncoder).
    case attentionScores = "attention_scores"
    /// Smith-Waterman local alignment score with affine gaps, hand-optimised (linear space, running max).
    case smithWaterman = "smith_waterman"
    /// The same score as an early naive version (three full matrices, a separate max scan).
    case smithWatermanNaive = "smith_waterman_naive"

    public var source: KernelSource {
        switch self {
        case .embeddingBag: return KernelSource.embeddingBag
        case .dotInteraction: return KernelSource.dotInteraction
        case .attentionScores: return KernelSource.attentionScores
        case .smithWaterman: return KernelSource.smithWaterman(naive: false)
        case .smithWatermanNaive: return KernelSource.smithWaterman(naive: true)
        }
    }
}

public struct KernelSource: Sendable {
    /// The kernel's C file: one `kernel` function (what the editor edits).
    public var kernel: String
    /// Kernel-specific harness part: setup(), run(), output().
    public var harness: String
    /// True when the outputs are integers held in floats (alignment scores):
    /// the held-out check then asks for exact equality.
    public var integerOutputs: Bool
}
