import Federated
import Tensors

/// HeteroFL on RF^2's tiers: a device trains its tier's sub-model (the top
/// MLP narrowed to `widths[tier]`, `SubModel`) from the global model's leading
/// units, and its update goes back to those places only. Every rank holds one
/// sub-model per tier, reused for every client it hosts.
public final class HeteroTask: FederatedTask {
    public let tiers: TierAssignment
    public let subModels: [SubModel]
    let tasks: [DLRMTask]
    let globals: [FlatBuffer<Float>]
    public let parameterCount: Int

    /// `widths`: per tier (low, mid, high), the share of the top MLP's hidden units it trains.
    public init(source: ClientSource, full: ClientModel, widths: [Double], tiers: TierAssignment, maxBatch: Int, seed: UInt64,
                failingClients: Set<Int> = []) {
        self.tiers = tiers
        parameterCount = full.parameterCount
        var subs: [SubModel] = [], tasks: [DLRMTask] = [], globals: [FlatBuffer<Float>] = []
        for w in widths {
            let model = ClientModel(spec: SubModel.spec(full.spec, ratio: w), maxBatch: maxBatch, seed: seed)
            subs.append(SubModel(full: full.spec, ratio: w, fullDense: full.dense.layout, subDense: model.dense.layout,
                                 tables: full.tables.count))
            tasks.append(DLRMTask(source: source, model: model, seed: seed, failingClients: failingClients))
            globals.append(FlatBuffer(count: model.parameterCount))
        }
        subModels = subs
        self.tasks = tasks
        self.globals = globals
    }

    public var needsPayload: Bool { false }

    /// Each tier's model, cut from the round's global model once per round.
    public func beginRound(global: UnsafePointer<Float>) {
        for t in tasks.indices {
            subModels[t].gather(global, into: globals[t].pointer)
            tasks[t].beginRound(global: globals[t].pointer)
        }
    }

    public func train(client: Int, round: Int, config: ClientRoundConfig, global: UnsafePointer<Float>,
                      payload: [Float], update: UnsafeMutablePointer<Float>, segments: inout [Int]) throws -> (samples: Int, loss: Double) {
        let t = tiers.tier(of: client)
        var sub: [Int] = []
        let out = try tasks[t].train(client: client, round: round, config: config, global: globals[t].pointer, payload: payload,
                                     update: update, segments: &sub)
        segments = subModels[t].fullSegments(sub)
        return out
    }

    /// On the device, with its tier's model.
    public func evaluate(client: Int, round: Int, global: UnsafePointer<Float>, bins: Int) throws -> EvalStats {
        let t = tiers.tier(of: client)
        return try tasks[t].evaluate(client: client, round: round, global: globals[t].pointer, bins: bins)
    }

    /// Parameters and training FLOPs per sample of a client's model (what its phone downloads and computes).
    public func modelSize(of client: Int) -> (parameters: Int, flopsPerSample: Double) {
        let m = tasks[tiers.tier(of: client)].model
        return (m.parameterCount, m.flopsPerSample)
    }
}
