import Benchmark
import Collectives
import Data
import Training

/// The Kaggle shape of Configs/bench-kaggle.yaml (26 pooled tables of 100,000
/// rows, dim 16, bottom 13-512-256-64-16, top 512-256-1, SGD), one rank.
func kaggleConfig(batch: Int) -> RunConfig {
    var c = RunConfig()
    c.model.embeddingDim = 16
    c.model.bottom = [512, 256, 64, 16]
    c.model.top = [512, 256, 1]
    c.model.encoder = "mean"
    c.data.source = "synthetic"
    c.data.dedup = false
    c.data.synthetic.samples = 16 * batch
    c.data.synthetic.evalSamples = batch
    c.data.synthetic.itemRows = 100_000
    c.data.synthetic.userRows = 100_000
    c.data.synthetic.extraTables = (0..<24).map { TableSpec(name: "c\($0)", rows: 100_000) }
    c.data.synthetic.historyMaxLength = 0
    c.data.synthetic.sessionLength = 1
    c.optimizer.dense = "sgd"
    c.optimizer.denseLearningRate = 0.01
    c.optimizer.embedding = .sgd
    c.optimizer.embeddingLearningRate = 0.01
    c.run.batchSize = batch
    c.run.steps = 1_000_000
    c.sharding.type = "table_wise"
    return c
}

let benchmarks: @Sendable () -> Void = {
    // One iteration = one training step; warm-up steps are not measured.
    Benchmark.defaultConfiguration = .init(metrics: [.mallocCountTotal, .wallClock],
                                           warmupIterations: 10, maxDuration: .seconds(10), maxIterations: 50)
    for batch in [256] {
        let trainer = try! Trainer(config: kaggleConfig(batch: batch), comm: LocalCommunicator())
        Benchmark("trainStep kaggle-shape 1 rank batch \(batch)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(trainer.trainStep()) }
        }
    }
}
