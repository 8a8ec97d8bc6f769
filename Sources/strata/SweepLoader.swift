import CLISupport
import Collectives
import Foundation
import Sweep
import Training
import Yams

/// Sweep files (`Configs/sweep-*.yaml`) into a `SweepSpec`. The base config goes
/// through `ConfigLoader`'s setters (inline mapping, or a path to a config file);
/// every axis key is checked against them, and every axis value is applied once
/// here, so a misspelt key or a value of the wrong type is an error naming the
/// file and line before anything runs.
///
///     base: Configs/quickstart.yaml     # or an inline mapping of config keys
///     sweep:
///       layout: lines                   # lines (default) or grid
///       group_size: 1
///       seeds: [1, 2]
///       epochs: 2                       # run.steps = ceil(epochs * samples / batch_size); `none`: keep run.steps
///       metric: eval_logloss            # or eval_ne
///       hold_largest: 1
///       bootstrap: 200
///       point_timeout_seconds: 600      # a point not back by then ends the sweep (exit 3) naming its ranks, and so does a coordinator silent that long; 0: no limit
///     axes:
///       - name: data
///         key: data.synthetic.samples
///         values: [2000, 4000, 8000]
///         x: value                      # value, samples_seen, parameters, dense_parameters, embedding_parameters, flops
enum SweepLoader {
    static func load(file: String, overrides: [String] = []) throws -> SweepSpec {
        let root = try ConfigLoader.compose(file: file, what: "sweep file")
        func at(_ n: Node) -> String { "\(file):\(n.mark?.line ?? 0)" }
        guard let top = root.mapping else { throw InputError("\(at(root)): expected a mapping with base, sweep and axes") }
        for (k, _) in top where !["name", "base", "sweep", "axes"].contains(k.scalar?.string ?? "") {
            throw InputError("\(at(k)): unknown key '\(k.scalar?.string ?? "?")' (known: name, base, sweep, axes)")
        }

        // Base config.
        var base = RunConfig()
        if let b = top["base"] {
            if let path = b.scalar?.string {
                let resolved = path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) ? path
                    : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
                base = try ConfigLoader.load(file: resolved, overrides: [])
            } else {
                try ConfigLoader.apply(b, prefix: "", file: file, to: &base)
                do { try base.validate() } catch let e as ConfigError { throw InputError("\(at(b)): base: \(e.description)") }
            }
        }
        if !overrides.isEmpty { base = try ConfigLoader.load(file: nil, overrides: overrides, base: base) }
        let name = top["name"]?.scalar?.string ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension

        // Axes.
        guard let axesNode = top["axes"], let axesSeq = axesNode.sequence, !axesSeq.isEmpty else {
            throw InputError("\(file): axes must be a non-empty list of {name, key, values}")
        }
        var axes: [SweepAxis] = []
        for a in axesSeq {
            guard let m = a.mapping else { throw InputError("\(at(a)): each axis must be a mapping {name, key, values, x}") }
            for (k, _) in m where !["name", "key", "values", "x"].contains(k.scalar?.string ?? "") {
                throw InputError("\(at(k)): unknown axis field '\(k.scalar?.string ?? "?")' (known: name, key, values, x)")
            }
            guard let keyNode = m["key"], let key = keyNode.scalar?.string else { throw InputError("\(at(a)): the axis needs a key") }
            guard ConfigLoader.keys.knows(key) else {
                throw InputError("\(at(keyNode)): unknown axis key '\(key)'\(ConfigLoader.suggestion(for: key))")
            }
            guard let vs = m["values"]?.sequence, !vs.isEmpty else {
                throw InputError("\(at(a)): axis '\(key)' needs a non-empty list of values")
            }
            var values: [String] = []
            for v in vs {
                // Type-check each value against its setter now.
                var scratch = base
                try ConfigLoader.set(key, ConfigLoader.Value(node: v, origin: at(v)), in: &scratch)
                values.append(ConfigLoader.Value.text(v))
            }
            let axisName = m["name"]?.scalar?.string ?? String(key.split(separator: ".").last ?? "")
            var measure = SweepAxis.Measure.value
            if let xNode = m["x"] {
                guard let s = xNode.scalar?.string, let x = SweepAxis.Measure(rawValue: s) else {
                    throw InputError("\(at(xNode)): x must be one of \(SweepAxis.Measure.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                measure = x
            }
            axes.append(SweepAxis(name: axisName, key: key, values: values, x: measure))
        }

        var spec = SweepSpec(name: name, base: base, axes: axes)
        if let s = top["sweep"] {
            guard s.mapping != nil else { throw InputError("\(at(s)): sweep must be a mapping") }
            try section.dotted.apply(s, prefix: "sweep", file: file, to: &spec)
        }
        do { try spec.validate() } catch let e as SweepSpecError { throw InputError("\(file): \(e.description)") }
        return spec
    }

    /// The `sweep:` section's keys, declared once (ranges checked as they are read).
    static let section = ConfigSchema<SweepSpec>([
        ("sweep.layout", .choice(\.layout)),
        ("sweep.group_size", .int(\.groupSize, .ints(1...1_000_000))),
        ("sweep.seeds", .seeds(\.seeds)),
        ("sweep.epochs", DeclaredKey(epochsAllowed) { c, v, k in c.epochs = v.node.scalar?.string == "none" ? nil : try v.double(k) }),
        ("sweep.metric", .choice(\.metric)),
        ("sweep.hold_largest", .int(\.holdLargest, .ints(0...1_000_000))),
        ("sweep.bootstrap", .int(\.bootstrapResamples, .ints(0...1_000_000))),
        ("sweep.point_timeout_seconds", .real(\.pointTimeoutSeconds, .reals(0...1e9))),
    ])

    /// Epochs: a positive number, or `none` (keep run.steps).
    static var epochsAllowed: Allowed { var a = Allowed.above(0, atMost: 1e9); a.exempt = ["none"]; return a }

    /// The setters as a `ConfigApplier` for point expansion.
    static func applier(file: String) -> ConfigApplier {
        { config, key, text in
            let node = (try? Yams.compose(yaml: text)) ?? nil
            try ConfigLoader.set(key, ConfigLoader.Value(node: node ?? Node(text), origin: "\(file): axis \(key)"), in: &config)
        }
    }
}
