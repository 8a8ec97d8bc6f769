import Collectives
import Data
import Foundation
import Model
import ShardedEmbeddings
import Sharding
import Tensors

/// One rank's worker: the data slice, the dense model (replicated, data
/// parallel) and its share of the sharded embeddings. `step` is the whole
/// schedule of SYSTEM.md's training step; `evaluate` the forward alone.
public final class Trainer {
    public let config: RunConfig
    public let comm: Communicator
    public let data: LoadedData
    public let layout: FeatureLayout
    public let plan: ShardingPlan
    /// How `sharding.type: auto` chose the plan (nil: not auto).
    public let planNote: String?
    public let embeddings: ShardedEmbeddingCollection
    public let model: DLRMDense
    let denseState: UnsafeMutableBufferPointer<Float>
    let localMaxBatch: Int
    // Per-step model inputs, reused.
    let pooledInput: UnsafeMutableBufferPointer<Float>
    /// This step's dense features, copied to memory that stays put while the
    /// bottom MLP runs ahead of the rest of the forward.
    let denseInput: UnsafeMutableBufferPointer<Float>
    let sequenceOffsets: [UnsafeMutablePointer<Int32>]
    var identityInverse: [Int32]
    /// Reused every step (their storage stays; see `FeatureLayout.fillIds`).
    var stepIds: [FeatureIds] = []
    /// This step's pooled outputs are the model's input block as they are
    /// (`forwardDense`), and their gradients are written back the same way.
    var pooledInPlace = false
    var sequenceInputs: [SequenceBatch] = []
    var metricSums: [Double] = [0, 0]
    let denseAllreduce = CommRequest()
    public private(set) var timers = StepTimers()
    lazy var prefetcher: BatchPrefetcher = {
        let source = data.source, rank = comm.rank, size = comm.size
        let G = config.run.batchSize, epoch = batchesPerEpoch, dedup = config.data.dedup
        return BatchPrefetcher { batch, k in
            Trainer.fillRankBatch(&batch, source: source, k: k, epoch: epoch, rank: rank, worldSize: size, batchSize: G,
                                  split: .train, dedup: dedup)
        }
    }()
    public internal(set) var step = 0
    /// Sum over this rank's training batches of B / U (samples per unique
    /// user-side row); `duplicationFactor()` averages it over ranks and steps.
    public private(set) var duplicationSum = 0.0
    /// The last global batch's samples per unique user-side row (steps.jsonl).
    public private(set) var lastDuplicationFactor = 1.0

    public init(config: RunConfig, comm: Communicator, plan explicitPlan: ShardingPlan? = nil) throws {
        try config.validate()
        self.config = config
        self.comm = comm
        guard config.run.batchSize >= comm.size else {
            throw ConfigError("run.batch_size (\(config.run.batchSize)) must be at least the world size (\(comm.size))")
        }
        data = try DataSources.load(config.data, seed: config.run.seed)
        guard data.source.sampleCount(.train) >= config.run.batchSize else {
            throw ConfigError("the training data has \(data.source.sampleCount(.train)) samples, fewer than run.batch_size (\(config.run.batchSize))")
        }
        layout = try FeatureLayout(schema: data.source.schema, model: config.model)
        try Self.checkTableSizes(layout, config: config)
        let planned = try ShardingPlanner.plan(for: config, layout: layout, source: data.source, topology: comm.topology,
                                               worldRanks: comm.worldRanks, given: explicitPlan)
        plan = planned.plan
        planNote = planned.auto?.line
        try Self.checkMemory(plan: plan, layout: layout, config: config, topology: comm.topology,
                             worldRanks: comm.worldRanks,
                             rank: comm.worldRanks.indices.contains(comm.rank) ? comm.worldRanks[comm.rank] : comm.rank)
        embeddings = try ShardedEmbeddingCollection(tables: layout.tables, features: layout.features, plan: plan,
                                                    optimizer: config.optimizer.embedding, seed: config.run.seed, comm: comm,
                                                    dedupIds: config.sharding.dedupIds,
                                                    precision: config.precision.embedding, payload: config.precision.payload)
        localMaxBatch = (config.run.batchSize + comm.size - 1) / comm.size
        let shape = layout.dlrmShape(config.model, denseFeatures: data.source.schema.denseCount, maxBatch: localMaxBatch,
                                     maxSequenceRows: max(1, localMaxBatch * data.maxSequenceLength))
        if let reason = shape.invalidReason { throw ConfigError("model: \(reason)") }
        model = DLRMDense(shape: shape, seed: config.run.seed, gemm: DenseGemm(options: config.model.gemmOptions))
        Self.agreeOnKernels(model.gemm!, comm: comm)
        denseState = .allocate(capacity: max(model.parameterCount, 1))
        denseState.initialize(repeating: 0)
        pooledInput = .allocate(capacity: max(layout.pooled.count * localMaxBatch * config.model.embeddingDim, 1))
        pooledInput.initialize(repeating: 0)
        denseInput = .allocate(capacity: max(localMaxBatch * data.source.schema.denseCount, 1))
        denseInput.initialize(repeating: 0)
        let maxBatch = localMaxBatch
        sequenceOffsets = layout.sequences.map { _ in
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: maxBatch + 1)
            p.initialize(repeating: 0, count: maxBatch + 1)
            return p
        }
        identityInverse = (0..<maxBatch).map(Int32.init)
    }

    deinit {
        denseState.deallocate()
        pooledInput.deallocate()
        denseInput.deallocate()
        sequenceOffsets.forEach { $0.deallocate() }
    }

    /// Global batches in one pass over the training split.
    public var batchesPerEpoch: Int { max(1, data.source.sampleCount(.train) / config.run.batchSize) }

    /// This rank's slice of global training batch `k` (wrapping around the split).
    public func localBatch(_ k: Int, split: Split = .train) -> Batch {
        var batch = Batch.empty
        Self.fillRankBatch(&batch, source: data.source, k: k, epoch: batchesPerEpoch, rank: comm.rank, worldSize: comm.size,
                           batchSize: config.run.batchSize, split: split, dedup: config.data.dedup)
        return batch
    }

    /// Rank `rank`'s slice of global batch `k` (wrapping every `epoch` batches),
    /// written into `batch` (its storage reused where the source can).
    static func fillRankBatch(_ batch: inout Batch, source: any BatchSource, k: Int, epoch: Int, rank: Int, worldSize: Int,
                              batchSize: Int, split: Split, dedup: Bool) {
        let range = sliceRange(globalBatch: k % epoch, rank: rank, worldSize: worldSize, step: batchSize)
        source.fill(&batch, globalStart: range.lowerBound, count: range.count, split: split, dedup: dedup)
    }

    /// One training step on global batch `step`; returns the global mean loss.
    @discardableResult
    public func trainStep() -> Double {
        var t = monotonicSeconds()
        func lap(_ field: WritableKeyPath<StepTimers, Double>) {
            let now = monotonicSeconds(); timers[keyPath: field] += now - t; t = now
        }
        let batch = prefetcher.batch(step)
        duplicationSum += batch.duplicationFactor
        layout.fillIds(of: batch, into: &stepIds)
        lap(\.data)
        embeddings.inputDist(swapping: &stepIds)
        lap(\.inputDist)
        embeddings.lookup()
        embeddings.startOutputDist()
        lap(\.lookup)
        // The bottom MLP runs while the rows are in flight (dlrm's distributed_forward).
        model.forwardBottom(batch: batch.size, dense: stageDense(batch))
        lap(\.denseForward)
        embeddings.finishOutputDist()
        lap(\.outputDist)
        let lossSum = forwardDense(batch, lossScale: 1 / Float(config.run.batchSize))
        lap(\.denseForward)
        // With the pooled outputs read in place, their gradients are written
        // in place too (the same layout, in the embeddings' gradient buffer).
        let dPooledInto = pooledInPlace ? embeddings.gradient(layout.pooled[0]).baseAddress : nil
        if comm.size == 1 {
            // Nothing to sum across ranks: each layer is updated as soon as
            // its gradients are final, while its weights and gradients are
            // still in cache (PyTorch's optimizer-in-backward), instead of
            // one pass over every parameter after the step. Under plain SGD
            // the MLPs' update rides in their weight-gradient GEMMs.
            if config.optimizer.dense == .sgd {
                model.backward(fusedSGD: config.optimizer.denseLearningRate, dPooledInto: dPooledInto) { applyDenseOptimizer($0) }
            } else {
                model.zeroGrad()
                model.backward(dPooledInto: dPooledInto) { applyDenseOptimizer($0) }
            }
        } else {
            model.zeroGrad()
            model.backward(dPooledInto: dPooledInto)
            // The dense gradients are summed (MPI_Iallreduce) while the embedding
            // backward runs, which reads the model's input gradients only.
            comm.startAllreduce(.denseAllreduce, model.grads.buffer, request: denseAllreduce)
        }
        lap(\.denseBackward)
        scatterEmbeddingGradients(batch)
        embeddings.backward(learningRate: config.optimizer.embeddingLearningRate)
        lap(\.embeddingBackward)
        if comm.size > 1 {
            comm.wait(denseAllreduce)
            lap(\.denseAllreduce)
            applyDenseOptimizer(0..<model.parameterCount)
            lap(\.optimizer)
        }
        // One allreduce for the loss and the global batch's unique user rows.
        metricSums[0] = Double(lossSum); metricSums[1] = Double(batch.userSide.uniqueCount)
        metricSums.withUnsafeMutableBufferPointer { comm.allreduce(.metrics, $0) }
        let loss = metricSums[0] / Double(config.run.batchSize)
        lastDuplicationFactor = Double(config.run.batchSize) / max(metricSums[1], 1)
        prefetcher.recycle(consume batch)   // its storage holds a later step's batch
        comm.ledger.endStep()
        step += 1
        return loss
    }

    /// The dense model on the looked-up embeddings; returns the local loss sum.
    func forwardDense(_ batch: Batch, lossScale: Float) -> Float {
        let B = batch.size, D = config.model.embeddingDim
        let inverse = batch.userSide.inverse
        // The model reads the pooled features as one [P x B x D] block. The
        // embeddings' outputs already are that block when every pooled
        // feature has one row per sample and they sit back to back in order
        // (user-side rows one per sample, in order, as without dedup at the
        // Kaggle shape): then it is read in place.
        let perSample = batch.userSide.uniqueCount == B && inverse.elementsEqual(0..<Int32(B))
        var inPlace = !layout.pooled.isEmpty
        for (p, k) in layout.pooled.enumerated() where inPlace {
            inPlace = (perSample || !layout.userSide[k]) && embeddings.featureFloats[k] == B * D
                && embeddings.featureBase[k] == embeddings.featureBase[layout.pooled[0]] + p * B * D
        }
        for (p, k) in layout.pooled.enumerated() where !inPlace {
            let src = embeddings.output(k).baseAddress!
            let dst = pooledInput.baseAddress! + p * B * D
            if layout.userSide[k] {
                for b in 0..<B { Rows.copy(dst + b * D, src + Int(inverse[b]) * D, count: D) }
            } else {
                dst.update(from: src, count: B * D)
            }
        }
        pooledInPlace = inPlace
        let pooled = UnsafePointer(inPlace ? embeddings.output(layout.pooled[0]).baseAddress! : pooledInput.baseAddress!)
        sequenceInputs.removeAll(keepingCapacity: true)
        return inverse.withUnsafeBufferPointer { inv in
            identityInverse.withUnsafeBufferPointer { identity in
                for (s, k) in layout.sequences.enumerated() {
                    let lengths = embeddings.current[k].lengths
                    sequenceOffsets[s][0] = 0
                    for u in 0..<lengths.count { sequenceOffsets[s][u + 1] = sequenceOffsets[s][u] + lengths[u] }
                    sequenceInputs.append(SequenceBatch(rows: UnsafePointer(embeddings.output(k).baseAddress!),
                                                   offsets: sequenceOffsets[s], uniqueCount: lengths.count,
                                                   inverse: layout.userSide[k] ? inv.baseAddress! : identity.baseAddress!))
                }
                let dense = stageDense(batch)
                return batch.labels.withUnsafeBufferPointer { labels in
                    model.forward(batch: B, dense: dense, pooled: pooled,
                                  sequences: sequenceInputs, labels: labels.baseAddress!, lossScale: lossScale)
                }
            }
        }
    }

    /// Copies the batch's dense features into `denseInput` ([B x 13] floats,
    /// cheap), where they stay put between `forwardBottom` and `forward`.
    func stageDense(_ batch: Batch) -> UnsafePointer<Float> {
        batch.dense.withUnsafeBufferPointer { d in
            if let base = d.baseAddress { denseInput.baseAddress!.update(from: base, count: d.count) }
        }
        return UnsafePointer(denseInput.baseAddress!)
    }

    /// d loss / d embedding outputs, in the shapes the embeddings produced:
    /// user-side pooled gradients are summed back onto their unique rows.
    func scatterEmbeddingGradients(_ batch: Batch) {
        let B = batch.size, D = config.model.embeddingDim
        for (p, k) in layout.pooled.enumerated() where !pooledInPlace {
            let g = embeddings.gradient(k)
            let src = model.dPooled + p * B * D
            if layout.userSide[k] {
                g.update(repeating: 0)
                for b in 0..<B {
                    Rows.add(g.baseAddress! + Int(batch.userSide.inverse[b]) * D, src + b * D, count: D)
                }
            } else {
                g.baseAddress!.update(from: src, count: B * D)
            }
        }
        for (s, k) in layout.sequences.enumerated() {
            let g = embeddings.gradient(k)
            if g.count > 0 { g.baseAddress!.update(from: model.dRows(feature: s), count: g.count) }
        }
    }

    /// Nil when the step's numbers are finite; otherwise which phase made
    /// them infinite or NaN (every rank agrees: loss, gradients and dense
    /// parameters are the same on every rank after the step).
    public func nonFiniteReason(loss: Double) -> String? {
        func finite(_ p: UnsafeMutableBufferPointer<Float>) -> Bool {
            var acc: Float = 0
            for v in p { acc += v * 0 }  // NaN as soon as one value is NaN or infinite
            return acc == 0
        }
        if !loss.isFinite {
            return "the loss is \(loss) (phase: forward, dense model and loss)"
        }
        if !finite(model.grads.buffer) {
            return "dense gradients are not finite (phase: backward and dense_allreduce; loss \(loss))"
        }
        if !finite(model.params.buffer) {
            return "dense parameters are not finite (phase: optimizer update; loss \(loss))"
        }
        return nil
    }

    /// The dense optimizer on the parameters in `range` of the flat buffers.
    func applyDenseOptimizer(_ range: Range<Int>) {
        let at = range.lowerBound, n = range.count
        switch config.optimizer.dense {
        case .sgd:
            SGD.step(params: model.params.pointer + at, grads: model.grads.pointer + at, count: n,
                     learningRate: config.optimizer.denseLearningRate)
        case .adagrad:
            Adagrad.step(params: model.params.pointer + at, grads: model.grads.pointer + at,
                         state: denseState.baseAddress! + at, count: n,
                         learningRate: config.optimizer.denseLearningRate)
        }
    }
}

/// Seconds spent in each part of the step on this rank, summed over steps.
public struct StepTimers: Sendable, Codable, Equatable {
    public var data = 0.0
    public var inputDist = 0.0
    public var lookup = 0.0
    public var outputDist = 0.0
    public var denseForward = 0.0
    public var denseBackward = 0.0
    public var embeddingBackward = 0.0
    public var denseAllreduce = 0.0
    public var optimizer = 0.0

    /// Every part with its name, in the order the run summary and `strata
    /// bench train` report them: the one list the parts are read through.
    public static let parts: [(name: String, seconds: KeyPath<StepTimers, Double>)] = [
        ("data", \.data), ("input_dist", \.inputDist), ("lookup", \.lookup), ("output_dist_wait", \.outputDist),
        ("dense_forward", \.denseForward), ("dense_backward", \.denseBackward),
        ("embedding_backward", \.embeddingBackward), ("dense_allreduce", \.denseAllreduce), ("optimizer", \.optimizer),
    ]

    public var total: Double { Self.parts.reduce(0) { $0 + self[keyPath: $1.seconds] } }

    /// Each part's seconds, in `parts` order.
    var asArray: [Double] { Self.parts.map { self[keyPath: $0.seconds] } }
}
