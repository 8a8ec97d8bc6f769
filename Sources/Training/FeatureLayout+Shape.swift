import Model

extension FeatureLayout {
    /// The dense model's shape for this layout (the trainer and `strata plan`).
    public func dlrmShape(_ model: ModelConfig, denseFeatures: Int, maxBatch: Int, maxSequenceRows: Int) -> DLRMShape {
        DLRMShape(denseFeatures: denseFeatures, bottom: model.bottom, top: model.top,
                         pooledFeatures: pooled.count, sequenceFeatures: sequences.count,
                         embeddingDim: model.embeddingDim, encoder: model.encoder.kind(heads: model.heads), targetQueryFeature: targetQuery,
                         maxBatch: maxBatch, maxSequenceRows: maxSequenceRows)
    }
}
