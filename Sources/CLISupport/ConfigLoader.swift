import Collectives
import Foundation
import Training
import Yams

/// YAML configs and `--set key=value` overrides into a `RunConfig`. Keys are
/// dotted paths (`run.batch_size`); unknown keys and wrong types are errors
/// that name the file, line and key. Only the CLI parses text.
package enum ConfigLoader {
    /// A value from YAML with where it came from, for error messages.
    package struct Value {
        package var node: Node
        package var origin: String
        /// The config file it came from (nil: `--set`).
        package var file: String?

        package init(node: Node, origin: String, file: String? = nil) { self.node = node; self.origin = origin; self.file = file }

        package func fail(_ key: String, _ expected: String) -> InputError {
            InputError("\(origin): \(key) must be \(expected), got '\(Value.text(node))'")
        }

        package static func text(_ node: Node) -> String {
            if let s = node.scalar?.string { return s }
            if let seq = node.sequence { return "[" + seq.map(text).joined(separator: ", ") + "]" }
            return "a mapping"
        }

        package func int(_ key: String) throws -> Int {
            guard let s = node.scalar?.string, let v = Int(s.replacingOccurrences(of: "_", with: "")) else { throw fail(key, "an integer") }
            return v
        }
        package func double(_ key: String) throws -> Double {
            guard let s = node.scalar?.string, let v = Double(s.replacingOccurrences(of: "_", with: "")) else { throw fail(key, "a number") }
            return v
        }
        /// A finite number in `range` (`open`: the lower bound excluded), for
        /// fields decoded outside a schema (FL's device tiers).
        package func double(_ key: String, _ range: ClosedRange<Double>, open: Bool = false) throws -> Double {
            let v = try double(key)
            guard v.isFinite, range.contains(v), !(open && v == range.lowerBound) else {
                let lo = open ? "above \(range.lowerBound)" : "at least \(range.lowerBound)"
                throw InputError("\(origin): \(key) must be a finite number \(lo)\(range.upperBound < .greatestFiniteMagnitude ? " and at most \(range.upperBound)" : ""), got \(Value.text(node))")
            }
            return v
        }
        package func bool(_ key: String) throws -> Bool {
            switch node.scalar?.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw fail(key, "true or false")
            }
        }
        package func string(_ key: String) throws -> String {
            guard let s = node.scalar?.string, !s.isEmpty else { throw fail(key, "a string") }
            return s
        }
        /// One of a closed set of names, decoded into its value; anything else
        /// is refused with the names allowed and the nearest one.
        package func oneOf<T>(_ key: String, _ options: [(name: String, value: T)]) throws -> T {
            let s = try string(key)
            if let hit = options.first(where: { $0.name == s }) { return hit.value }
            let names = options.map(\.name)
            throw InputError("\(origin): \(key) must be one of \(names.joined(separator: ", ")), got '\(s)'"
                             + ConfigLoader.suggestion(for: s, among: names))
        }
        package func choice<E: CaseIterable & RawRepresentable>(_ key: String) throws -> E where E.RawValue == String {
            try oneOf(key, E.allCases.map { ($0.rawValue, $0) })
        }
        /// A YAML list (a lone value is a list of one), each element decoded
        /// by `element`; an empty list is refused unless `orEmpty`.
        package func list<T>(_ key: String, _ what: String, orEmpty: Bool = false, _ element: (Value) throws -> T) throws -> [T] {
            let nodes = node.sequence ?? [node]
            guard !nodes.isEmpty || orEmpty else { throw fail(key, "a non-empty list of \(what)") }
            return try nodes.map { try element(Value(node: $0, origin: origin, file: file)) }
        }
    }

    /// A YAML file's root node. Unreadable, invalid YAML, an empty or
    /// comment-only file (which would silently mean "all defaults") and a key
    /// given twice in one mapping (YAML keeps the last silently) are errors
    /// naming the file and lines. Every config reader parses YAML here.
    package static func compose(file: String, what: String) throws -> Node {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            var dir: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &dir), dir.boolValue {
                throw InputError("\(file): the \(what) is a folder, not a file")
            }
            throw InputError("\(file): cannot read the \(what) (\(FileManager.default.fileExists(atPath: file) ? "not readable or not UTF-8 text" : "no such file"))")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw InputError("\(file): not valid YAML: \(error)")
        }
        guard let node, !(node.mapping?.isEmpty ?? false), node.scalar.map({ !$0.string.isEmpty }) ?? true else {
            throw InputError("\(file): the \(what) is empty (no keys, only comments or blank lines); "
                             + "give at least one key, or leave the file out for the defaults")
        }
        try refuseDuplicateKeys(node, file: file)
        return node
    }

    /// Every mapping in the tree: a key given twice is refused with both lines.
    package static func refuseDuplicateKeys(_ node: Node, file: String, prefix: String = "") throws {
        if let m = node.mapping {
            var seen: [String: Int] = [:]
            for (k, v) in m {
                let name = k.scalar?.string ?? Value.text(k)
                let line = k.mark?.line ?? 0
                let path = prefix.isEmpty ? name : "\(prefix).\(name)"
                if let first = seen[name] {
                    throw InputError("\(file):\(line): key '\(path)' is given twice (lines \(first) and \(line)); keep one")
                }
                seen[name] = line
                try refuseDuplicateKeys(v, file: file, prefix: path)
            }
        } else if let seq = node.sequence {
            for (i, n) in seq.enumerated() { try refuseDuplicateKeys(n, file: file, prefix: "\(prefix)[\(i)]") }
        }
    }

    /// The walk and overrides over the keys `RunConfigKeys` declares.
    package static let keys = RunConfigKeys.schema.dotted

    package static func set(_ key: String, _ value: Value, in config: inout RunConfig) throws {
        try keys.set(key, value, in: &config)
    }

    package static func apply(_ node: Node, prefix: String, file: String, to config: inout RunConfig) throws {
        try keys.apply(node, prefix: prefix, file: file, to: &config)
    }

    package static func suggestion(for key: String) -> String { suggestion(for: key, among: Array(keys.setters.keys)) }

    /// " (did you mean 'x'?)" for the nearest of `names` by edit distance, when near enough.
    package static func suggestion(for word: String, among names: [String]) -> String {
        let best = names.map { ($0, editDistance($0, word)) }.min { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let (k, d) = best, d <= max(2, word.count / 4) else { return "" }
        return " (did you mean '\(k)'?)"
    }

    package static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where i <= a.count {
            var prev = row[0]; row[0] = i
            for j in 1...max(b.count, 1) where j <= b.count {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }

    /// Keys `--set` may change when resuming: how long, how often, where rows
    /// live, how long a step may hang. Everything else would make a different run.
    package static let resumableKeys = ["run.steps", "run.checkpoint_every", "run.keep_checkpoints", "run.log_every",
                                "run.eval_every", "run.eval_samples", "run.step_timeout_seconds", "sharding.", "topology."]

    /// A saved config with `--set` overrides limited to `onlyKeys` (exact keys, or prefixes ending in a dot).
    package static func load(base: RunConfig, overrides: [String], onlyKeys: [String]) throws -> RunConfig {
        for o in overrides {
            let key = String(o.prefix { $0 != "=" })
            guard onlyKeys.contains(where: { $0.hasSuffix(".") ? key.hasPrefix($0) : key == $0 }) else {
                throw InputError("--set \(o): \(key) cannot change when resuming (allowed: \(onlyKeys.map { $0.hasSuffix(".") ? $0 + "*" : $0 }.joined(separator: ", ")))")
            }
        }
        return try load(file: nil, overrides: overrides, base: base)
    }

    package static func load(file: String?, overrides: [String], base: RunConfig = RunConfig()) throws -> RunConfig {
        var config = base
        try keys.read(file: file, overrides: overrides, into: &config)
        do { try config.validate() } catch let e as ConfigError {
            throw InputError("\(file ?? "config"): \(e.description)")
        }
        return config
    }
}
