import CLISupport
import Collectives
import Federated
import Yams

/// `device.tiers:` of a `strata fl` config: a list of maps, one a tier, read
/// from the YAML nodes themselves (the flat key reader keeps scalars and lists
/// of scalars only) into `DeviceTier` values. Every field is required, so a
/// tier never mixes the file's figures with silent defaults; an unknown,
/// missing, mistyped or out-of-range field is refused naming file:line and
/// `device.tiers[i].field`.
enum FLDeviceTiers {
    /// The fields of a tier and what they hold (for --help and the refusals).
    static let fields: [(String, String)] = [
        ("name", "the tier's name; eval groups it as tier:NAME"),
        ("share", "share of the population, normalized over the tiers"),
        ("gflops", "sustained on-device training GFLOP/s"),
        ("down_mbps", "download Mbit/s"), ("up_mbps", "upload Mbit/s"),
        ("train_watts", "W while computing"), ("net_watts", "W while transferring"), ("idle_watts", "W while waiting"),
        ("availability", "chance the phone can take part in a round, 0..1"),
    ]

    static func decode(_ node: Node, file: String) throws -> [DeviceTier] {
        func at(_ n: Node) -> String { "\(file):\(n.mark?.line ?? 0)" }
        guard let seq = node.sequence, !seq.isEmpty else {
            throw InputError("\(at(node)): device.tiers must be a non-empty list of maps {\(fields.map(\.0).joined(separator: ", "))}")
        }
        var tiers: [DeviceTier] = []
        for (i, item) in seq.enumerated() {
            let key = "device.tiers[\(i)]"
            guard let m = item.mapping else {
                throw InputError("\(at(item)): \(key) must be a map {\(fields.map(\.0).joined(separator: ", "))}, got '\(ConfigLoader.Value.text(item))'")
            }
            var given: [String: ConfigLoader.Value] = [:]
            for (k, v) in m {
                let name = k.scalar?.string ?? ConfigLoader.Value.text(k)
                guard fields.contains(where: { $0.0 == name }) else {
                    throw InputError("\(at(k)): unknown key '\(key).\(name)'\(ConfigLoader.suggestion(for: name, among: fields.map(\.0)))")
                }
                given[name] = ConfigLoader.Value(node: v, origin: at(k))
            }
            if let missing = fields.first(where: { given[$0.0] == nil }) {
                throw InputError("\(at(item)): \(key) lacks '\(missing.0)' (\(missing.1)); a tier needs all of \(fields.map(\.0).joined(separator: ", "))")
            }
            let positive = 0...Double.greatestFiniteMagnitude
            func real(_ f: String, _ range: ClosedRange<Double> = positive, open: Bool = false) throws -> Double {
                try given[f]!.double("\(key).\(f)", range, open: open)
            }
            let name = try given["name"]!.string("\(key).name")
            if tiers.contains(where: { $0.name == name }) {
                throw InputError("\(given["name"]!.origin): \(key).name '\(name)' is already a tier's name; names must differ")
            }
            tiers.append(DeviceTier(name: name, share: try real("share"), gflops: try real("gflops", open: true),
                                    downMbps: try real("down_mbps", open: true), upMbps: try real("up_mbps", open: true),
                                    trainWatts: try real("train_watts"), netWatts: try real("net_watts"),
                                    idleWatts: try real("idle_watts"), availability: try real("availability", 0...1)))
        }
        guard tiers.contains(where: { $0.share > 0 }) else {
            throw InputError("\(at(node)): device.tiers: at least one tier needs a positive share")
        }
        return tiers
    }
}
