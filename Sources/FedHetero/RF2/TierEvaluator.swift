import Federated
import Tensors

/// The server's eval models: the global model, or under HeteroFL one
/// sub-model per tier, each client scored by the model its phone runs.
final class TierEvaluator: CentralScorer {
    let models: [ClientModel]
    let hetero: HeteroTask?
    let tiers: TierAssignment
    private let scratch: FlatBuffer<Float>

    init(full: ClientModel, hetero: HeteroTask?, tiers: TierAssignment, maxBatch: Int, seed: UInt64) {
        self.hetero = hetero
        self.tiers = tiers
        let specs = hetero?.subModels.map(\.spec) ?? [full.spec]
        models = specs.map { ClientModel(spec: $0, maxBatch: maxBatch, seed: seed) }
        scratch = FlatBuffer(count: models.map(\.parameterCount).max() ?? 1)
    }

    func load(_ global: UnsafePointer<Float>) {
        guard let hetero else { models[0].load(from: global); return }
        for (t, m) in models.enumerated() {
            hetero.subModels[t].gather(global, into: scratch.pointer)
            m.load(from: scratch.pointer)
        }
    }

    func logits(client: Int, _ data: ClientSamples) -> [Float] {
        models[hetero == nil ? 0 : tiers.tier(of: client)].logits(data)
    }
}
