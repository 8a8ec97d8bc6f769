import Training

/// Configs small enough for tests that train for real: the unit tests (ranks
/// as threads) and the multi-rank suites under mpirun share them, so both
/// check the same model.
public enum TinyConfig {
    /// A sequence DLRM on synthetic data: 4 tables (item, user, c0, c1),
    /// dim 8, histories up to 6, sessions of 3, global batch 30, 20 steps.
    public static func sequenceDLRM(dedup: Bool = true, encoder: EncoderChoice = .attention) -> RunConfig {
        var c = RunConfig()
        c.model.embeddingDim = 8
        c.model.bottom = [16, 8]
        c.model.top = [16, 1]
        c.model.encoder = encoder
        c.data.synthetic.samples = 2_000
        c.data.synthetic.evalSamples = 200
        c.data.synthetic.itemRows = 500
        c.data.synthetic.userRows = 200
        c.data.synthetic.extraTables = [.init(name: "c0", rows: 50), .init(name: "c1", rows: 300)]
        c.data.synthetic.historyMaxLength = 6
        c.data.synthetic.sessionLength = 3
        c.data.dedup = dedup
        c.run.batchSize = 30
        c.run.steps = 20
        return c
    }
}
