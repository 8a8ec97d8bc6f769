import CLISupport
import Collectives
import Data
import Federated
import FedHetero

/// A `strata fl` config as decoded, before the keys that depend on each
/// other (the strategy's, the device model's, the data source's, the tiers')
/// are put together into an `FLRunSpec`. Defaults are the modules' own
/// (`FederationConfig()`, `FELConfig()`, `GPOConfig()`, ...); keys read only
/// in some setups are optional, so that "given" can be told from "default".
struct FLSettings {
    var mode: FLRunSpec.Mode = .fl
    var federation = FederationConfig()
    var fel = FELConfig()
    var strategy = Strategy()
    var dp = DP()
    var device = Device()
    var tiers = Tiers()
    var rf2 = TierOptimizations()
    var gpo = GPOConfig()
    var data = DataKeys()
    /// round_timeout_seconds (0: no watchdog).
    var roundTimeoutSeconds = 0.0
    /// Every key given, with its value and where (for refusals that span keys).
    var given: [String: ConfigLoader.Value] = [:]

    struct Strategy { var name = "fedavg"; var mu, eta, beta1, beta2, tau: Double? }
    struct DP { var enabled = false, clip = 1.0, noiseMultiplier = 1.0, delta = 1e-5 }
    struct Device {
        var enabled = false
        var deadline, interference, availability: Double?
        var tiers: [DeviceTier]?
    }
    struct Tiers {
        enum Mapping: String, CaseIterable { case none, random, dirichlet }
        var mapping = Mapping.none, alpha = 0.005
        var seed: UInt64?
    }
    struct DataKeys {
        enum PartitionName: String, CaseIterable { case natural, iid, dirichlet }
        /// `data.source`: one of `ClientDataSets.adapter`.
        var source = DataSetKind.synthetic
        var synthetic = SyntheticClientsConfig()
        var partition = PartitionName.natural, alpha = 0.5
        var movielensDir = "../shared/data/movielens"
        var testFraction: Double?
        var userFeature = true
        var historyClicks = 0
    }

    /// "FILE:LINE: key: what, got 'value'" for a key given.
    func refusal(_ key: String, _ what: String) -> InputError {
        guard let v = given[key] else { return InputError("config: \(key): \(what)") }
        return InputError("\(v.origin): \(key): \(what), got '\(ConfigLoader.Value.text(v.node))'")
    }

    /// Where `key` was given ("config" when it was not).
    func origin(_ key: String) -> String { given[key]?.origin ?? "config" }
}
