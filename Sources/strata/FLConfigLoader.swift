import CLISupport
import Collectives
import Federated
import FedHetero
import Foundation
import Model
import Yams

/// `strata fl` configs: YAML (nested mappings) plus `--set key=value`, read
/// into typed values. Every key is known in advance; an unknown key, a value
/// of the wrong type or an unknown enum name is an error naming file:line and key.
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
    enum Mode: String { case fl, fel }
}

enum FLConfigLoader {
    /// Keys, what they hold (for --help and for refusing unknown keys) and,
    /// for numeric ones, the values allowed (every element of a list).
    static let keys: [(String, String, Allowed?)] = [
        ("mode", "fl (one model) or fel (FEL: k leaf federations + over-arch, with the baselines)", nil),
        ("seed", "run seed (sampling, init, data)", .seed), ("rounds", "rounds of federated training", .ints(1...10_000_000)),
        ("clients_per_round", "K, clients sampled a round", .ints(1...100_000_000)),
        ("sampling", "uniform (K each round, independently; default) | epoch (every client once per epoch, K at a time)", nil), ("max_batch", "largest forward chunk (model scratch)", .ints(1...1 << 20)),
        ("client.epochs", "E, local epochs", .ints(1...100_000)), ("client.batch", "B, local batch (0 = the client's whole data)", .ints(0...1 << 24)),
        ("client.lr", "client SGD learning rate", .above(0, atMost: 1e6)),
        ("strategy.name", Strategy.names.joined(separator: " | "), nil), ("strategy.mu", "FedProx's mu", .reals(0...1e6)),
        ("strategy.eta", "server learning rate", .above(0, atMost: 1e6)), ("strategy.beta1", "adaptive: first moment", .fraction),
        ("strategy.beta2", "Adam/Yogi: second moment", .fraction), ("strategy.tau", "adaptive: epsilon", .above(0, atMost: 1e6)),
        ("dp.enabled", "central DP on/off", nil), ("dp.clip", "C, per-update L2 clip", .above(0, atMost: 1e12)),
        ("dp.noise_multiplier", "sigma (noise std sigma*C on the sum)", .reals(0...1e6)), ("dp.delta", "delta for the reported epsilon", .above(0, atMost: 0.999_999)),
        ("model.dim", "embedding dim", .ints(1...4096)), ("model.bottom", "bottom MLP hidden widths, e.g. [32]", .ints(1...1 << 16)),
        ("model.top", "top MLP hidden widths, e.g. [64]", .ints(1...1 << 16)),
        ("model.gemm", "auto | openblas | onednn (the dense GEMMs' kernels)", nil), ("model.precision", "fp32 | bf16 (the dense GEMMs' inputs)", nil),
        ("data.source", "synthetic | movielens", nil), ("data.population", "synthetic clients N", .ints(1...100_000_000)),
        ("data.samples_per_client", "synthetic samples a client", .ints(2...10_000_000)), ("data.sample_spread", "synthetic count spread (0..1)", .fraction),
        ("data.clusters", "synthetic ground-truth clusters", .ints(1...1_000_000)), ("data.items", "synthetic item table rows", .ints(1...100_000_000)),
        ("data.user_rows", "synthetic user table rows", .ints(1...100_000_000)), ("data.partition", "natural | iid | dirichlet", nil),
        ("data.alpha", "Dirichlet alpha", .above(0, atMost: 1e6)), ("data.test_fraction", "last fraction of each client's samples for test", .above(0, atMost: 0.9)),
        ("data.movielens_dir", "folder with ml-latest-small-{ratings,movies}.csv", nil),
        ("data.user_feature", "movielens: the user id as a feature (default true; RF^2's reference setup: false)", nil),
        ("data.history_clicks", "movielens: a bag of the user's last N clicked movies, mean-pooled (default 0 = none; RF^2's reference: 10)", .ints(0...10_000)),
        ("device.enabled", "simulate phones (tiers, time, energy)", nil), ("device.deadline_s", "round deadline; stragglers dropped", .above(0, atMost: 1e9)),
        ("device.interference", "chance of a co-running app slowing a client, 0..1 (default 0.2)", .fraction),
        ("device.tiers", "the phone classes (default high/mid/low, docs/DESIGN.md), a list of maps, every field required: "
            + FLDeviceTiers.fields.map { "\($0.0) (\($0.1))" }.joined(separator: ", "), nil),
        ("device.availability", "scale every tier's availability (1 = as documented)", .above(0, atMost: 1e6)),
        ("eval.every", "central eval every N rounds", .ints(1...10_000_000)), ("eval.clients", "eval on at most this many clients' test splits", .ints(1...100_000_000)),
        ("eval.federated_clients", "federated eval: clients sampled each eval round to score the model on their own test splits and return only sums (0 = off)", .ints(0...100_000_000)),
        ("eval.auc_bins", "federated eval: bins of the score histogram a client returns for the pooled AUC (default 1000)", .ints(2...10_000_000)),
        ("failures.clients", "clients that throw on purpose (drills)", .ints(0...100_000_000)),
        ("fel.k", "FEL clusters / leaf federations", .ints(1...100_000)), ("fel.kmeans_sample", "k-means fit on at most this many clients", .ints(1...100_000_000)),
        ("fel.over_hidden", "over-arch hidden widths", .ints(1...1 << 16)), ("fel.over_rounds", "over-arch rounds", .ints(1...10_000_000)),
        ("fel.over_epochs", "over-arch local epochs", .ints(1...100_000)), ("fel.over_batch", "over-arch local batch (0 = full)", .ints(0...1 << 24)),
        ("fel.over_lr", "over-arch client learning rate", .above(0, atMost: 1e6)), ("fel.central_clients", "centralized bound: clients pooled", .ints(1...100_000_000)),
        ("fel.holdout_fraction", "last fraction of each client's training samples held out from the leaves for the over-arch (0 = none)", .reals(0...0.9)),
        ("fel.central_epochs", "centralized bound: epochs (0 = skip)", .ints(0...100_000)), ("fel.central_batch", "centralized bound: batch", .ints(1...1 << 24)),
        ("fel.central_lr", "centralized bound: learning rate", .above(0, atMost: 1e6)),
        ("tiers.mapping", "RF^2 user-to-tier mapping: none | random | dirichlet (tier 0 low, 2 high; per-tier eval)", nil),
        ("tiers.alpha", "dirichlet mapping's alpha (default 0.005)", .above(0, atMost: 1e6)), ("tiers.seed", "tier mapping seed (default 2206)", .seed),
        ("rf2.exclude_low", "the low tier never trains (still evaluated)", nil),
        ("rf2.over_select", "x: sample K(1+x), drop the Kx stragglers, low tier first", .reals(0...10)),
        ("rf2.prune", "per-tier fraction of update values zeroed at random, [low, mid, high]", .reals(0...0.99)),
        ("rf2.quant_bits", "per-tier stochastic quantization of updates to 2^b levels, [low, mid, high] (0 = off)", .ints(0...32)),
        ("rf2.heterofl", "HeteroFL: per-tier share of the top MLP's hidden units trained, [low, mid, high], e.g. [0.25, 0.5, 1]", .above(0, atMost: 1)),
        ("gpo.batches", "FedGPO grid: local batch sizes B (0 = full), e.g. [8, 32, 0]", .ints(0...1 << 24)),
        ("gpo.epochs", "FedGPO grid: local epochs E, e.g. [1, 2, 4]", .ints(1...100_000)), ("gpo.clients", "FedGPO grid: participants K, e.g. [5, 10, 20]", .ints(1...100_000_000)),
        ("gpo.common", "the common fixed [B, E, K] baseline (default [32, 1, 10])", .ints(0...100_000_000)),
        ("gpo.episodes", "Q-learning runs before the measured greedy run", .ints(0...100_000)), ("gpo.epsilon", "exploration rate", .fraction),
        ("gpo.lr", "Q-learning rate", .above(0, atMost: 1)), ("gpo.discount", "Q-learning discount", .reals(0...0.999_999)),
        ("gpo.penalty", "reward scale when eval quality falls", .reals(0...1e6)), ("gpo.target_auc", "target AUC (default 0.99 x the common run's final)", .above(0, atMost: 1)),
    ]

    static func load(file: String?, overrides: [String]) throws -> FLRunSpec {
        var values: [String: (String, String)] = [:]   // key -> (value, where)
        var tiers: [DeviceTier]?
        if let file {
            let root = try ConfigLoader.compose(file: file, what: "config")
            var lists: [String: Node] = [:]
            try flatten(root, prefix: "", file: file, into: &values, lists: &lists)
            if let node = lists["device.tiers"] { tiers = try FLDeviceTiers.decode(node, file: file) }
        }
        for o in overrides {
            guard let eq = o.firstIndex(of: "=") else { throw InputError("--set \(o): expected key=value") }
            let key = String(o[..<eq]), value = String(o[o.index(after: eq)...])
            if listKeys.contains(key) { throw InputError("--set \(key): a list of maps; give it in the config file") }
            values[key] = (value.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")), "--set")
        }
        let known = Set(keys.map(\.0))
        for (k, v) in values.sorted(by: { $0.key < $1.key }) where !known.contains(k) {
            let inside = keys.map(\.0).filter { $0.hasPrefix(k + ".") }
            if !inside.isEmpty {
                throw InputError("\(v.1): '\(k)' is a section, not a value: give its keys (\(inside.prefix(3).joined(separator: ", "))\(inside.count > 3 ? ", ..." : ""))")
            }
            throw InputError("\(v.1): unknown key '\(k)'\(ConfigLoader.suggestion(for: k, among: Array(known))) (see strata fl --help)")
        }
        try checkRanges(values)
        return try decode(values, tiers: tiers)
    }

    /// Every numeric key given, each element of a list, against its declared
    /// range, before anything is decoded or sized by it.
    static func checkRanges(_ values: [String: (String, String)]) throws {
        for (key, _, allowed) in keys {
            guard let allowed, let (text, origin) = values[key] else { continue }
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                try allowed.check(String(part), key: key, at: origin)
            }
        }
    }

    /// Keys whose value is a list of maps: kept as nodes in `lists` for their
    /// own decoder, and in `out` for their place and the unknown-key check.
    static let listKeys: Set<String> = ["device.tiers"]

    static func flatten(_ node: Node, prefix: String, file: String, into out: inout [String: (String, String)],
                        lists: inout [String: Node]) throws {
        let at = "\(file):\(node.mark?.line ?? 0)"
        if listKeys.contains(prefix) {
            out[prefix] = ("a list of tiers", at)
            lists[prefix] = node
        } else if let m = node.mapping {
            for (k, v) in m {
                guard let name = k.scalar?.string else { throw InputError("\(at): keys must be plain names") }
                try flatten(v, prefix: prefix.isEmpty ? name : prefix + "." + name, file: file, into: &out, lists: &lists)
            }
        } else if let s = node.sequence {
            out[prefix] = (s.compactMap { $0.scalar?.string }.joined(separator: ","), at)
        } else if let s = node.scalar {
            out[prefix] = (s.string, at)
        }
    }

    static func decode(_ v: [String: (String, String)], tiers deviceTiers: [DeviceTier]? = nil) throws -> FLRunSpec {
        func bad(_ k: String, _ what: String) -> InputError { InputError("\(v[k]!.1): \(k): \(what), got '\(v[k]!.0)'") }
        func int(_ k: String) throws -> Int? {
            guard let s = v[k]?.0 else { return nil }
            guard let x = Int(s.replacingOccurrences(of: "_", with: "")) else { throw bad(k, "expected an integer") }
            return x
        }
        func real(_ k: String) throws -> Double? {
            guard let s = v[k]?.0 else { return nil }
            guard let x = Double(s) else { throw bad(k, "expected a number") }
            return x
        }
        func bool(_ k: String) throws -> Bool? {
            guard let s = v[k]?.0 else { return nil }
            switch s.lowercased() { case "true", "yes", "on": return true; case "false", "no", "off": return false
            default: throw bad(k, "expected true or false") }
        }
        func reals(_ k: String) throws -> [Double]? {
            guard let s = v[k]?.0 else { return nil }
            let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let xs = parts.compactMap { Double($0) }
            guard xs.count == parts.count else { throw bad(k, "expected a list of numbers") }
            return xs
        }
        func ints(_ k: String) throws -> [Int]? {
            guard let s = v[k]?.0 else { return nil }
            let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let xs = parts.compactMap { Int($0) }
            guard xs.count == parts.count else { throw bad(k, "expected a list of integers") }
            return xs
        }
        var f = FederationConfig(), fel = FELConfig()
        let mode: FLRunSpec.Mode
        if let m = v["mode"]?.0 { guard let x = FLRunSpec.Mode(rawValue: m) else { throw bad("mode", "expected fl or fel") }; mode = x } else { mode = .fl }
        if let x = try int("seed") { f.seed = UInt64(max(0, x)) }
        if let x = try int("rounds") { f.rounds = x }
        if let x = try int("clients_per_round") { f.clientsPerRound = x }
        if let x = v["sampling"]?.0 {
            guard let m = ClientSampling(rawValue: x) else { throw bad("sampling", "expected uniform or epoch, got '\(x)'") }
            f.sampling = m
        }
        if let x = try int("max_batch") { f.maxBatch = x }
        if let x = try int("client.epochs") { f.client.epochs = x }
        if let x = try int("client.batch") { f.client.batch = x }
        if let x = try real("client.lr") { f.client.learningRate = x }
        do {
            f.strategy = try Strategy.named(v["strategy.name"]?.0 ?? "fedavg", mu: try real("strategy.mu"), eta: try real("strategy.eta"),
                                            beta1: try real("strategy.beta1"), beta2: try real("strategy.beta2"), tau: try real("strategy.tau"))
        } catch let e as FLConfigError { throw InputError("\(v["strategy.name"]?.1 ?? "config"): \(e.description)") }
        if try bool("dp.enabled") ?? false {
            f.dp = CentralDP(clip: try real("dp.clip") ?? 1, noiseMultiplier: try real("dp.noise_multiplier") ?? 1, delta: try real("dp.delta") ?? 1e-5)
        }
        if let x = try int("model.dim") { f.model.dim = x }
        if let x = try ints("model.bottom") { f.model.bottomHidden = x }
        if let x = try ints("model.top") { f.model.topHidden = x }
        func choice<E: CaseIterable & RawRepresentable>(_ k: String) throws -> E? where E.RawValue == String {
            guard let s = v[k]?.0 else { return nil }
            guard let e = E.allCases.first(where: { $0.rawValue == s }) else {
                throw bad(k, "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return e
        }
        f.model.gemm = try choice("model.gemm")
        f.model.precision = try choice("model.precision")
        if try bool("device.enabled") ?? false {
            var d = DeviceModel(tiers: deviceTiers ?? DeviceModel.defaultTiers, seed: f.seed)
            if let x = try real("device.interference") { d.interference = x }
            if let a = try real("device.availability") { for i in d.tiers.indices { d.tiers[i].availability = min(1, d.tiers[i].availability * a) } }
            f.device = d
            f.deadlineSeconds = try real("device.deadline_s")
        } else if let k = ["device.tiers", "device.interference", "device.availability", "device.deadline_s"].first(where: { v[$0] != nil }) {
            // Read only when the device model runs: set without it, it would be silently ignored.
            throw InputError("\(v[k]!.1): \(k) takes effect only with device.enabled: true")
        }
        if let x = try int("eval.every") { f.evalEvery = x }
        if let x = try int("eval.clients") { f.evalClients = x }
        if let x = try int("eval.federated_clients") { f.federatedEvalClients = x }
        if let x = try int("eval.auc_bins") { f.aucBins = x }
        if let x = try ints("failures.clients") { f.failingClients = x }
        if let x = try int("fel.k") { fel.k = x }
        if let x = try int("fel.kmeans_sample") { fel.kmeansSample = x }
        if let x = try ints("fel.over_hidden") { fel.overHidden = x }
        if let x = try int("fel.over_rounds") { fel.overRounds = x }
        if let x = try int("fel.over_epochs") { fel.overClient.epochs = x }
        if let x = try int("fel.over_batch") { fel.overClient.batch = x }
        if let x = try real("fel.over_lr") { fel.overClient.learningRate = x }
        if let x = try real("fel.holdout_fraction") { fel.holdoutFraction = x }
        if let x = try int("fel.central_clients") { fel.centralClients = x }
        if let x = try int("fel.central_epochs") { fel.centralEpochs = x }
        if let x = try int("fel.central_batch") { fel.centralBatch = x }
        if let x = try real("fel.central_lr") { fel.centralLR = x }

        var tiers: TierConfig?
        let alpha = try real("tiers.alpha") ?? 0.005
        if !(alpha > 0 && alpha.isFinite) { throw bad("tiers.alpha", "must be positive") }
        switch v["tiers.mapping"]?.0 ?? "none" {
        case "none": break
        case "random": tiers = TierConfig(); tiers?.mapping = .random
        case "dirichlet": tiers = TierConfig(); tiers?.mapping = .dirichlet(alpha: alpha)
        default: throw bad("tiers.mapping", "expected none, random or dirichlet")
        }
        var opt = TierOptimizations()
        if let x = try bool("rf2.exclude_low") { opt.excludeLowTier = x }
        if let x = try real("rf2.over_select") { opt.overSelect = x }
        if let x = try reals("rf2.prune") { opt.pruneFraction = x }
        if let x = try ints("rf2.quant_bits") { opt.quantBits = x }
        if let x = try reals("rf2.heterofl") { opt.heteroWidths = x }
        do { try opt.validate() } catch let e as OptError { throw bad(e.key, e.message) }
        if !opt.isNone && tiers == nil { tiers = TierConfig() }
        tiers?.optimizations = opt
        if let x = try int("tiers.seed") { tiers?.seed = UInt64(max(0, x)) }

        var gpo = GPOConfig()
        if let x = try ints("gpo.batches") { gpo.batches = x }
        if let x = try ints("gpo.epochs") { gpo.epochs = x }
        if let x = try ints("gpo.clients") { gpo.clients = x }
        if let x = try ints("gpo.common") {
            guard x.count == 3 else { throw bad("gpo.common", "expected [B, E, K]") }
            gpo.common = GPOAction(batch: x[0], epochs: x[1], clients: x[2])
        }
        if let x = try int("gpo.episodes") { gpo.episodes = x }
        if let x = try real("gpo.epsilon") { gpo.epsilon = x }
        if let x = try real("gpo.lr") { gpo.learningRate = x }
        if let x = try real("gpo.discount") { gpo.discount = x }
        if let x = try real("gpo.penalty") { gpo.penalty = x }
        if let x = try real("gpo.target_auc") { gpo.targetAUC = x }

        let source: ClientSource
        switch v["data.source"]?.0 ?? "synthetic" {
        case "synthetic":
            for k in ["data.user_feature", "data.history_clicks"] where v[k] != nil {
                throw bad(k, "applies to data.source movielens only")
            }
            var s = SyntheticClientsConfig()
            s.seed = f.seed
            if let x = try int("data.population") { s.population = x }
            if let x = try int("data.samples_per_client") { s.samplesPerClient = x }
            if let x = try real("data.sample_spread") { s.sampleSpread = x }
            if let x = try int("data.clusters") { s.clusters = x }
            if let x = try int("data.items") { s.items = x }
            if let x = try int("data.user_rows") { s.userRows = x }
            if let x = try real("data.test_fraction") { s.testFraction = x }
            switch v["data.partition"]?.0 ?? "natural" {
            case "natural": s.partition = .natural
            case "iid": s.partition = .iid
            case "dirichlet": s.partition = .dirichlet(alpha: try real("data.alpha") ?? 0.5)
            default: throw bad("data.partition", "expected natural, iid or dirichlet")
            }
            if s.population < 1 { throw bad("data.population", "must be at least 1") }
            if s.samplesPerClient < 2 { throw bad("data.samples_per_client", "must be at least 2") }
            if s.items < 1 || s.userRows < 1 || s.clusters < 1 { throw InputError("data.items, data.user_rows and data.clusters must be positive") }
            source = SyntheticClients(config: s)
        case "movielens":
            do {
                source = try MovieLensClients(directory: v["data.movielens_dir"]?.0 ?? "../shared/data/movielens",
                                              testFraction: try real("data.test_fraction") ?? 0.1,
                                              userFeature: try bool("data.user_feature") ?? true,
                                              historyClicks: try int("data.history_clicks") ?? 0)
            } catch let e as ClientDataError { throw InputError(e.description) }
        default: throw bad("data.source", "expected synthetic or movielens")
        }
        do {
            try f.validate(population: source.population)
            if mode == .fel { try fel.validate(population: source.population) }
            // Only when asked for: the default grid's K may exceed a small population `strata fl` runs.
            if v.keys.contains(where: { $0.hasPrefix("gpo.") }) { try gpo.validate(population: source.population) }
        } catch let e as FLConfigError {
            throw InputError("\(v[e.key]?.1 ?? "config"): \(e.description)")
        } catch let e as OptError {
            throw InputError("\(v[e.key]?.1 ?? "config"): \(e.description)")
        }
        if tiers != nil && mode == .fel { throw bad("tiers.mapping", "tiers and rf2.* apply to mode fl only") }
        // FEL's models are evaluated centrally (the over-arch scores the server's payload, not a client's model).
        if f.federatedEvalClients > 0 && mode == .fel { throw bad("eval.federated_clients", "applies to mode fl only") }
        return FLRunSpec(mode: mode, federation: f, fel: fel, source: source, tiers: tiers, tierAlpha: alpha, gpo: gpo)
    }
}
