/// The phase a collective belongs to, given by the caller. A closed set, so the
/// ledger indexes flat arrays by `rawValue` and records without hashing strings.
public enum CommPhase: Int, Sendable, CaseIterable, Codable {
    /// Input dist: counts then ids, over the world communicator.
    case idsA2A
    /// Output dist: looked-up rows (or partial pooled sums) back to the requesters.
    case embFwdA2A
    /// Embedding gradients back to the owners (the mirror of `embFwdA2A`).
    case embBwdA2A
    /// The same three, on the node-local communicator (FlexShard's warm tier).
    case idsA2AIntra
    case embFwdA2AIntra
    case embBwdA2AIntra
    /// Gradients of replicated (hot) rows summed across replicas.
    case replicaGradSync
    /// Dense (MLP, data-parallel table) gradients.
    case denseAllreduce
    /// Lookups for evaluation (ids and rows, no backward), kept apart from
    /// the training step's traffic.
    case evalA2A
    /// Losses and eval statistics.
    case metrics
    /// Plans, configs, barriers and other start-up or bookkeeping traffic.
    case control
    /// Checkpoint writing and loading.
    case checkpoint
    /// The shared coordinator and its worker groups (WorkGroups: sweeps, GEVO).
    case sweep
    /// `strata bench` traffic.
    case bench
    /// Kernel recommenders (`strata iae`, `strata distill`): fit rows, Gram
    /// rows, the factorisation's broadcast, partial products and gradients.
    case kernel
    /// Federated learning: the global model and round config out to the ranks
    /// hosting clients, client updates back to the server.
    case federated

    /// The tag users see in JSON and tables.
    public var tag: String {
        switch self {
        case .idsA2A: return "ids_a2a"
        case .embFwdA2A: return "emb_fwd_a2a"
        case .embBwdA2A: return "emb_bwd_a2a"
        case .idsA2AIntra: return "ids_a2a_intra"
        case .embFwdA2AIntra: return "emb_fwd_a2a_intra"
        case .embBwdA2AIntra: return "emb_bwd_a2a_intra"
        case .replicaGradSync: return "replica_grad_sync"
        case .denseAllreduce: return "dense_allreduce"
        case .evalA2A: return "eval_a2a"
        case .metrics: return "metrics"
        case .control: return "control"
        case .checkpoint: return "checkpoint"
        case .sweep: return "sweep"
        case .bench: return "bench"
        case .kernel: return "kernel"
        case .federated: return "federated"
        }
    }

    /// True for the all-to-all phases whose bytes make up "all-to-all traffic".
    public var isAllToAll: Bool {
        switch self {
        case .idsA2A, .embFwdA2A, .embBwdA2A, .idsA2AIntra, .embFwdA2AIntra, .embBwdA2AIntra:
            return true
        default:
            return false
        }
    }
}
