import Collectives
import Yams

/// Dotted-key configs (`run.batch_size`) from a YAML file and `--set
/// key=value` overrides, for any config type: the walk over nested
/// mappings, the refusal of unknown keys with the nearest known one, and the
/// overrides' parsing, shared by every loader (training, kernel recommenders).
package struct DottedKeys<Config> {
    package typealias Setter = (inout Config, ConfigLoader.Value, String) throws -> Void
    package var setters: [String: Setter]
    /// Keys whose last part is a name (a table's), not a fixed word, with
    /// what sets one (`sharding.tables.item: row_wise`).
    package var named: [(prefix: String, set: (inout Config, String, ConfigLoader.Value, String) throws -> Void)] = []
    /// Numeric keys' allowed values, checked (each list element) before the setter runs.
    package var ranges: [String: Allowed] = [:]
    /// Said after an unknown key's suggestion (" (see strata fl --help)").
    package var hint = ""
    /// Where each key given is recorded with its value and origin (before its
    /// setter runs, which may refine it), for refusals that span keys.
    package var record: WritableKeyPath<Config, [String: ConfigLoader.Value]>?

    package init(setters: [String: Setter],
                 named: [(prefix: String, set: (inout Config, String, ConfigLoader.Value, String) throws -> Void)] = [],
                 ranges: [String: Allowed] = [:]) {
        self.setters = setters; self.named = named; self.ranges = ranges
    }

    package func set(_ key: String, _ value: ConfigLoader.Value, in config: inout Config) throws {
        if let setter = setters[key] {
            if let allowed = ranges[key] { try Self.check(value, allowed, key: key) }
            if let record { config[keyPath: record][key] = value }
            return try setter(&config, value, key)
        }
        if let n = named.first(where: { key.hasPrefix($0.prefix) }), value.node.scalar != nil {
            return try n.set(&config, String(key.dropFirst(n.prefix.count)), value, key)
        }
        let inside = setters.keys.filter { $0.hasPrefix(key + ".") }.sorted()
        if !inside.isEmpty || named.contains(where: { $0.prefix.hasPrefix(key + ".") }) {
            let some = inside.prefix(3).joined(separator: ", ") + (inside.count > 3 ? ", ..." : "")
            throw InputError("\(value.origin): '\(key)' is a section, not a value: give its keys (\(some.isEmpty ? key + ".NAME" : some))")
        }
        throw InputError("\(value.origin): unknown key '\(key)'\(ConfigLoader.suggestion(for: key, among: Array(setters.keys)))\(hint)")
    }

    /// `value` (each element of a list, named by its index) checked against
    /// `allowed`, the words it exempts let through.
    package static func check(_ value: ConfigLoader.Value, _ allowed: Allowed, key: String) throws {
        let list = value.node.sequence
        for (i, node) in (list ?? [value.node]).enumerated() {
            guard let text = node.scalar?.string, !allowed.exempt.contains(text.lowercased()) else { continue }
            try allowed.check(text, key: key, at: value.origin, element: list == nil ? nil : i)
        }
    }

    /// Whether `key` is one of the setters' or a named key's (a sweep axis is checked so).
    package func knows(_ key: String) -> Bool { setters[key] != nil || named.contains { key.hasPrefix($0.prefix) } }

    /// Walks a YAML mapping into dotted keys.
    package func apply(_ node: Node, prefix: String, file: String, to config: inout Config) throws {
        var seen: [String: String] = [:]
        try apply(node, prefix: prefix, file: file, to: &config, seen: &seen)
    }

    /// `seen`: each dotted key's origin so far, so `run: {steps: 1}` and
    /// `run.steps: 2` in one file are refused like a repeated key.
    package func apply(_ node: Node, prefix: String, file: String, to config: inout Config, seen: inout [String: String]) throws {
        guard let mapping = node.mapping else {
            throw InputError("\(file):\(node.mark?.line ?? 0): expected a mapping of keys\(prefix.isEmpty ? "" : " under '\(prefix)'")")
        }
        for (k, v) in mapping {
            guard let name = k.scalar?.string else { throw InputError("\(file):\(k.mark?.line ?? 0): keys must be plain words") }
            let key = prefix.isEmpty ? name : "\(prefix).\(name)"
            let origin = "\(file):\(k.mark?.line ?? 0)"
            if v.mapping != nil, setters[key] == nil {
                let known = setters.keys.contains { $0.hasPrefix(key + ".") }
                    || named.contains { $0.prefix.hasPrefix(key + ".") || $0.prefix == key + "." }
                guard known else {
                    throw InputError("\(origin): unknown key '\(key)'\(ConfigLoader.suggestion(for: key, among: Array(setters.keys)))\(hint)")
                }
                try apply(v, prefix: key, file: file, to: &config, seen: &seen)
            } else {
                if let first = seen[key] {
                    throw InputError("\(origin): key '\(key)' is given twice (\(first) and \(origin)); keep one")
                }
                seen[key] = origin
                try set(key, ConfigLoader.Value(node: v, origin: origin, file: file), in: &config)
            }
        }
    }

    /// The file's keys (an empty or comment-only file is refused: it would
    /// silently mean "the defaults"), then each `--set key=value`.
    package func read(file: String?, overrides: [String], into config: inout Config) throws {
        if let file {
            try apply(try ConfigLoader.compose(file: file, what: "config file"), prefix: "", file: file, to: &config)
        }
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                throw InputError("--set \(o): expected key=value")
            }
            let key = String(o[..<eq]), text = String(o[o.index(after: eq)...])
            guard let node = try? Yams.compose(yaml: text) ?? Node("") else { throw InputError("--set \(o): value is not valid YAML") }
            try set(key, ConfigLoader.Value(node: node, origin: "--set"), in: &config)
        }
    }
}

/// A config key declared once: what sets it and, when numeric, the values
/// it allows (`strata ranges` lists them; the hardening test feeds each one
/// NaN, infinity, -1, 0 and a huge value).
package struct DeclaredKey<Config> {
    package typealias Setter = (inout Config, ConfigLoader.Value, String) throws -> Void
    package typealias NamedSetter = (inout Config, String, ConfigLoader.Value, String) throws -> Void
    package var allowed: Allowed?
    /// What the key holds, for --help.
    package var help: String
    package var set: Setter
    /// A key whose last part is a name, not a fixed word (declared as
    /// `sharding.tables.NAME`): what sets the one named.
    package var named: NamedSetter?
    package init(_ allowed: Allowed? = nil, help: String = "", set: @escaping Setter) { self.allowed = allowed; self.help = help; self.set = set }

    /// A key declared as `prefix.NAME`, given as `prefix.anything`.
    package init(_ allowed: Allowed? = nil, help: String = "", named: @escaping NamedSetter) {
        self.allowed = allowed; self.help = help; self.named = named
        self.set = { c, v, k in try named(&c, String(k.split(separator: ".").last ?? ""), v, k) }
    }
}
