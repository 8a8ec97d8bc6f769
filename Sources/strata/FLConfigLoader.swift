import CLISupport
import Collectives
import Data
import Federated
import FedHetero
import Foundation

/// `strata fl` configs: YAML (nested mappings) plus `--set key=value`,
/// decoded by `FLKeys.schema` into `FLSettings`, then the keys that depend on
/// each other put together here. A key that would be silently ignored in the
/// setup given (tiers without the device model, MovieLens keys on synthetic
/// data) is refused naming file:line.
struct FLRunSpec {
    var mode: Mode = .fl
    var federation = FederationConfig()
    var fel = FELConfig()
    var source: ClientSource
    /// RF^2 tiers (nil: no tiers, the plain runtime).
    var tiers: TierConfig?
    /// Dirichlet alpha for `fl fairness` (which runs both mappings).
    var tierAlpha = 0.005
    /// FedGPO (`strata fl gpo`).
    var gpo = GPOConfig()
    /// round_timeout_seconds: the round watchdog (0: off).
    var roundTimeoutSeconds = 0.0
    enum Mode: String, CaseIterable { case fl, fel }
    /// What the round watchdog counts and its key, for its line.
    static let roundUnit = WatchUnit(noun: "round", key: "round_timeout_seconds")
}

enum FLConfigLoader {
    static func load(file: String?, overrides: [String]) throws -> FLRunSpec {
        var s = FLSettings()
        try FLKeys.schema.read(file: file, overrides: overrides, into: &s)
        var f = s.federation
        do {
            f.strategy = try Strategy.named(s.strategy.name, mu: s.strategy.mu, eta: s.strategy.eta,
                                            beta1: s.strategy.beta1, beta2: s.strategy.beta2, tau: s.strategy.tau)
        } catch let e as FLConfigError { throw InputError("\(s.origin("strategy.name")): \(e.description)") }
        if s.dp.enabled { f.dp = CentralDP(clip: s.dp.clip, noiseMultiplier: s.dp.noiseMultiplier, delta: s.dp.delta) }
        try device(s, into: &f)
        let tiers = try tierConfig(s)
        let source = try clientSource(s, seed: f.seed)
        try validate(s, f, source: source, tiers: tiers)
        return FLRunSpec(mode: s.mode, federation: f, fel: s.fel, source: source, tiers: tiers, tierAlpha: s.tiers.alpha, gpo: s.gpo,
                         roundTimeoutSeconds: s.roundTimeoutSeconds)
    }

    /// The simulated phones; their keys are refused without device.enabled
    /// (read only when the device model runs, they would be silently ignored).
    static func device(_ s: FLSettings, into f: inout FederationConfig) throws {
        guard s.device.enabled else {
            if let k = ["device.tiers", "device.interference", "device.availability", "device.deadline_s"].first(where: { s.given[$0] != nil }) {
                throw InputError("\(s.origin(k)): \(k) takes effect only with device.enabled: true")
            }
            return
        }
        var d = DeviceModel(tiers: s.device.tiers ?? DeviceModel.defaultTiers, seed: f.seed)
        if let x = s.device.interference { d.interference = x }
        if let a = s.device.availability { for i in d.tiers.indices { d.tiers[i].availability = min(1, d.tiers[i].availability * a) } }
        f.device = d
        f.deadlineSeconds = s.device.deadline
    }

    /// RF^2's tiers: a mapping, or any rf2.* optimization (which implies the default mapping).
    static func tierConfig(_ s: FLSettings) throws -> TierConfig? {
        var tiers: TierConfig?
        switch s.tiers.mapping {
        case .none: break
        case .random: tiers = TierConfig(); tiers?.mapping = .random
        case .dirichlet: tiers = TierConfig(); tiers?.mapping = .dirichlet(alpha: s.tiers.alpha)
        }
        do { try s.rf2.validate() } catch let e as OptError { throw s.refusal(e.key, e.message) }
        if !s.rf2.isNone && tiers == nil { tiers = TierConfig() }
        tiers?.optimizations = s.rf2
        if let seed = s.tiers.seed { tiers?.seed = seed }
        return tiers
    }

    /// FL's adapter over the catalogue (`ClientDataSets.adapter`): each kind it reads made into clients.
    static func clientSource(_ s: FLSettings, seed: UInt64) throws -> ClientSource {
        switch s.data.source {
        case .synthetic:
            for k in ["data.user_feature", "data.history_clicks"] where s.given[k] != nil {
                throw s.refusal(k, "applies to data.source movielens only")
            }
            var c = s.data.synthetic
            c.seed = seed
            if let x = s.data.testFraction { c.testFraction = x }
            switch s.data.partition {
            case .natural: c.partition = .natural
            case .iid: c.partition = .iid
            case .dirichlet: c.partition = .dirichlet(alpha: s.data.alpha)
            }
            return SyntheticClients(config: c)
        case .movielens:
            do {
                return try MovieLensClients(directory: s.data.movielensDir, testFraction: s.data.testFraction ?? 0.1,
                                            userFeature: s.data.userFeature, historyClicks: s.data.historyClicks)
            } catch let e as ClientDataError { throw InputError(e.description) }
        case .criteo, .binary, .criteoShards:
            // Refused when decoded (FLKeys' data.source); a caller that sets it directly gets the same sentence.
            throw InputError(DataSetRefused(key: "data.source", kind: s.data.source, adapter: ClientDataSets.adapter).description)
        }
    }

    /// What only the whole config can say: counts against the population, keys of the other mode.
    static func validate(_ s: FLSettings, _ f: FederationConfig, source: ClientSource, tiers: TierConfig?) throws {
        do {
            try f.validate(population: source.population)
            if s.mode == .fel { try s.fel.validate(population: source.population) }
            // Only when asked for: the default grid's K may exceed a small population `strata fl` runs.
            if s.given.keys.contains(where: { $0.hasPrefix("gpo.") }) { try s.gpo.validate(population: source.population) }
        } catch let e as FLConfigError {
            throw InputError("\(s.origin(e.key)): \(e.description)")
        } catch let e as OptError {
            throw InputError("\(s.origin(e.key)): \(e.description)")
        }
        if tiers != nil && s.mode == .fel {
            // Name the key that turned tiers on: the mapping, else an rf2.* optimization.
            let key = s.given.keys.filter { $0 == "tiers.mapping" || $0.hasPrefix("rf2.") }.sorted().last ?? "tiers.mapping"
            throw s.refusal(key, "tiers and rf2.* apply to mode fl only")
        }
        // FEL's models are evaluated centrally (the over-arch scores the server's payload, not a client's model).
        if f.federatedEvalClients > 0 && s.mode == .fel { throw s.refusal("eval.federated_clients", "applies to mode fl only") }
    }
}
