import Model

extension FeatureLayout {
    /// The dense model's shape for this layout: one place turns the config's
    /// encoder name into a `SequenceEncoderKind` (the trainer and `strata plan`).
    public func dlrmShape(_ model: ModelConfig, denseFeatures: Int, maxBatch: Int, maxSequenceRows: Int) -> DLRMShape {
        let encoder: SequenceEncoderKind
        switch model.encoder {
        case "mean": encoder = .mean
        case "target_attention": encoder = .targetAttention
        default: encoder = .attention(heads: model.heads)
        }
        return DLRMShape(denseFeatures: denseFeatures, bottom: model.bottom, top: model.top,
                         pooledFeatures: pooled.count, sequenceFeatures: sequences.count,
                         embeddingDim: model.embeddingDim, encoder: encoder, targetQueryFeature: targetQuery,
                         maxBatch: maxBatch, maxSequenceRows: maxSequenceRows)
    }
}
