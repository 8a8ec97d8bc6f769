/// The shape of the dense part of a sequence DLRM.
///
/// F = 1 + P + S feature vectors of width D meet in the dot interaction: the
/// bottom-MLP output, P pooled embeddings and S encoded sequences.
public struct DLRMShape: Sendable, Equatable {
    public var denseFeatures: Int          // 13 for Criteo
    public var bottom: [Int]               // widths after the dense input; last == D
    public var top: [Int]                  // widths after the interaction; last == 1
    public var pooledFeatures: Int         // P
    public var sequenceFeatures: Int       // S
    public var embeddingDim: Int           // D
    public var encoder: SequenceEncoderKind
    /// The pooled feature whose embedding queries target attention (the candidate).
    public var targetQueryFeature: Int?
    public var maxBatch: Int
    /// Max ids per sequence feature per batch (N for one feature).
    public var maxSequenceRows: Int

    public init(denseFeatures: Int = 13, bottom: [Int], top: [Int], pooledFeatures: Int, sequenceFeatures: Int,
                embeddingDim: Int, encoder: SequenceEncoderKind, targetQueryFeature: Int? = nil,
                maxBatch: Int, maxSequenceRows: Int) {
        self.denseFeatures = denseFeatures
        self.bottom = bottom
        self.top = top
        self.pooledFeatures = pooledFeatures
        self.sequenceFeatures = sequenceFeatures
        self.embeddingDim = embeddingDim
        self.encoder = encoder
        self.targetQueryFeature = targetQueryFeature
        self.maxBatch = maxBatch
        self.maxSequenceRows = maxSequenceRows
    }

    public var features: Int { 1 + pooledFeatures + sequenceFeatures }  // F
    public var interactionWidth: Int { embeddingDim + features * (features - 1) / 2 }

    /// Why the shape cannot be built, or nil.
    public var invalidReason: String? {
        if bottom.last != embeddingDim { return "bottom MLP must end at embeddingDim \(embeddingDim)" }
        if top.last != 1 { return "top MLP must end at 1 (the logit)" }
        if pooledFeatures < 0 || sequenceFeatures < 0 || maxBatch < 1 { return "negative or empty extent" }
        if encoder == .targetAttention, sequenceFeatures > 0 {
            guard let q = targetQueryFeature, q >= 0, q < pooledFeatures else {
                return "target attention needs targetQueryFeature in 0..<pooledFeatures"
            }
        }
        if case .attention(let h) = encoder, h < 1 { return "attention needs at least one head" }
        return nil
    }
}
