import Collectives
import Data
import Foundation
import Sharding
import Tensors
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
        package func uint64(_ key: String) throws -> UInt64 {
            guard let s = node.scalar?.string, let v = UInt64(s) else { throw fail(key, "a non-negative integer") }
            return v
        }
        package func double(_ key: String) throws -> Double {
            guard let s = node.scalar?.string, let v = Double(s.replacingOccurrences(of: "_", with: "")) else { throw fail(key, "a number") }
            return v
        }
        package func float(_ key: String) throws -> Float { Float(try double(key)) }
        /// An integer in `range`, else refused naming the key and the range.
        package func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
            let v = try int(key)
            guard range.contains(v) else {
                let want = range == 0...Int.max ? "must not be negative" : "must be \(Value.describe(range))"
                throw InputError("\(origin): \(key) \(want), got \(v)")
            }
            return v
        }
        /// A finite number in `range` (`open`: the lower bound excluded).
        package func double(_ key: String, _ range: ClosedRange<Double>, open: Bool = false) throws -> Double {
            let v = try double(key)
            guard v.isFinite, range.contains(v), !(open && v == range.lowerBound) else {
                let lo = open ? "above \(range.lowerBound)" : "at least \(range.lowerBound)"
                throw InputError("\(origin): \(key) must be a finite number \(lo)\(range.upperBound < .greatestFiniteMagnitude ? " and at most \(range.upperBound)" : ""), got \(Value.text(node))")
            }
            return v
        }
        package func float(_ key: String, _ range: ClosedRange<Double>, open: Bool = false) throws -> Float {
            let v = try double(key, range, open: open)
            guard Float(v).isFinite else { throw InputError("\(origin): \(key) is too large for a 32-bit float, got \(v)") }
            return Float(v)
        }
        package static func describe(_ r: ClosedRange<Int>) -> String {
            r.upperBound == Int.max ? (r.lowerBound == 1 ? "positive" : "at least \(r.lowerBound)") : "in \(r.lowerBound)...\(r.upperBound)"
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
        /// by `element`; an empty list is refused.
        package func list<T>(_ key: String, _ what: String, _ element: (Value) throws -> T) throws -> [T] {
            let nodes = node.sequence ?? [node]
            guard !nodes.isEmpty else { throw fail(key, "a non-empty list of \(what)") }
            return try nodes.map { try element(Value(node: $0, origin: origin, file: file)) }
        }
        package func ints(_ key: String) throws -> [Int] {
            guard let seq = node.sequence else { throw fail(key, "a list of integers") }
            return try seq.map { n in
                guard let v = n.scalar.flatMap({ Int($0.string) }) else { throw fail(key, "a list of integers") }
                return v
            }
        }
    }

    package typealias Setter = (inout RunConfig, Value, String) throws -> Void

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

    // Every key a config may hold. Keep in step with RunConfig and Configs/*.yaml.
    package static let setters: [String: Setter] = [
        "model.embedding_dim": { c, v, k in c.model.embeddingDim = try v.int(k, 1...Int.max) },
        "model.bottom": { c, v, k in c.model.bottom = try v.ints(k) },
        "model.top": { c, v, k in c.model.top = try v.ints(k) },
        "model.encoder": { c, v, k in c.model.encoder = try v.choice(k) },
        "model.heads": { c, v, k in c.model.heads = try v.int(k, 1...Int.max) },
        "model.pooling": { c, v, k in c.model.pooling = try v.choice(k) },
        "model.target_query": { c, v, k in c.model.targetQuery = try v.string(k) },
        "model.use_sequences": { c, v, k in c.model.useSequences = try v.bool(k) },
        "model.gemm": { c, v, k in c.model.gemm = try v.choice(k) },
        "model.precision": { c, v, k in c.model.precision = try v.choice(k) },
        "model.exclude_features": { c, v, k in
            guard let seq = v.node.sequence else { throw v.fail(k, "a list of feature names") }
            c.model.excludeFeatures = try seq.map { n in
                guard let s = n.scalar?.string else { throw v.fail(k, "a list of feature names") }
                return s
            }
        },
        "data.source": { c, v, k in c.data.source = try v.choice(k) },
        "data.path": { c, v, k in c.data.path = try v.string(k) },
        "data.eval_path": { c, v, k in c.data.evalPath = try v.string(k) },
        "data.dedup": { c, v, k in c.data.dedup = try v.bool(k) },
        "data.criteo_rows_per_table": { c, v, k in c.data.criteoRowsPerTable = try v.int(k, 1...Int.max) },
        "data.criteo_eval_every": { c, v, k in c.data.criteoEvalEvery = try v.int(k, 0...Int.max) },
        "data.criteo_held_out": { c, v, k in c.data.criteoHeldOut = try v.choice(k) },
        "data.skip_bad_lines": { c, v, k in c.data.skipBadLines = try v.bool(k) },
        "data.synthetic.seed": { c, v, k in c.data.synthetic.seed = try v.uint64(k) },
        "data.synthetic.samples": { c, v, k in c.data.synthetic.samples = try v.int(k, 1...Int.max) },
        "data.synthetic.eval_samples": { c, v, k in c.data.synthetic.evalSamples = try v.int(k, 1...Int.max) },
        "data.synthetic.dense_count": { c, v, k in c.data.synthetic.denseCount = try v.int(k, 0...Int.max) },
        "data.synthetic.item_rows": { c, v, k in c.data.synthetic.itemRows = try v.int(k, 1...Int.max) },
        "data.synthetic.user_rows": { c, v, k in c.data.synthetic.userRows = try v.int(k, 1...Int.max) },
        "data.synthetic.extra_tables": { c, v, k in
            c.data.synthetic.extraTables = try v.ints(k).enumerated().map { TableSpec(name: "c\($0.offset)", rows: $0.element) }
        },
        "data.synthetic.extra_ids_per_bag": { c, v, k in
            guard let r = (try? v.ints(k)) ?? (try? v.int(k)).map({ [$0] }), (1...2).contains(r.count) else {
                throw ConfigError("\(k) must be [min, max] or one number of ids per bag")
            }
            guard r[0] >= 1, r.last! >= r[0] else { throw ConfigError("\(k) must have 1 <= min <= max, got \(r)") }
            c.data.synthetic.extraIdsPerBag = r[0]...r.last!
        },
        "data.synthetic.item_popularity": { c, v, k in c.data.synthetic.itemPopularity = try v.string(k) },
        "data.synthetic.history_max_length": { c, v, k in c.data.synthetic.historyMaxLength = try v.int(k, 0...Int.max) },
        "data.synthetic.session_length": { c, v, k in c.data.synthetic.sessionLength = try v.int(k, 1...Int.max) },
        "data.synthetic.zipf_exponent": { c, v, k in c.data.synthetic.zipfExponent = try v.double(k) },
        "data.synthetic.clusters": { c, v, k in c.data.synthetic.clusters = try v.int(k, 1...Int.max) },
        "data.synthetic.history_affinity": { c, v, k in c.data.synthetic.historyAffinity = try v.double(k, 0...1) },
        "data.synthetic.candidate_affinity": { c, v, k in c.data.synthetic.candidateAffinity = try v.double(k, 0...1) },
        "data.synthetic.match_strength": { c, v, k in c.data.synthetic.matchStrength = try v.double(k, -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) },
        "data.synthetic.id_weight_scale": { c, v, k in c.data.synthetic.idWeightScale = try v.double(k, 0...Double.greatestFiniteMagnitude) },
        "data.synthetic.dense_weight_scale": { c, v, k in c.data.synthetic.denseWeightScale = try v.double(k, 0...Double.greatestFiniteMagnitude) },
        "data.synthetic.bias": { c, v, k in c.data.synthetic.bias = try v.double(k, -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) },
        "data.synthetic.shuffle_window": { c, v, k in c.data.synthetic.shuffleWindow = try v.int(k, 1...Int.max) },
        "data.movielens.history_length": { c, v, k in c.data.movielens.historyLength = try v.int(k, 1...Int.max) },
        "data.movielens.eval_per_user": { c, v, k in c.data.movielens.evalPerUser = try v.int(k, 0...Int.max) },
        "data.movielens.split": { c, v, k in c.data.movielens.split = try v.choice(k) },
        "data.movielens.heldout_users": { c, v, k in
            let x = try v.double(k)
            guard x > 0, x < 1 else { throw InputError("\(v.origin): \(k) must be in (0, 1) (the share of users held out), got \(Value.text(v.node))") }
            c.data.movielens.heldoutUsers = x
        },
        "data.movielens.split_seed": { c, v, k in c.data.movielens.splitSeed = try v.uint64(k) },
        "data.movielens.session_gap_seconds": { c, v, k in c.data.movielens.sessionGapSeconds = try v.int(k, 0...Int.max) },
        "data.movielens.dense_count": { c, v, k in c.data.movielens.denseCount = try v.int(k, 0...Int.max) },
        "data.movielens.history_feedback": { c, v, k in c.data.movielens.historyFeedback = try v.bool(k) },
        "data.movielens.shuffle_train": { c, v, k in c.data.movielens.shuffleTrain = try v.bool(k) },
        "data.movielens.history_table": { c, v, k in c.data.movielens.historyTable = try v.bool(k) },
        "data.movielens.user_dropout": { c, v, k in
            let x = try v.double(k)
            guard x >= 0, x < 1 else { throw InputError("\(v.origin): \(k) must be in [0, 1) (the share of training rows read as an unknown user), got \(Value.text(v.node))") }
            c.data.movielens.userDropout = x
        },
        "optimizer.dense": { c, v, k in c.optimizer.dense = try v.choice(k) },
        "optimizer.dense_learning_rate": { c, v, k in c.optimizer.denseLearningRate = try v.float(k, 0...Double.greatestFiniteMagnitude, open: true) },
        "optimizer.embedding": { c, v, k in c.optimizer.embedding = try v.choice(k) },
        "optimizer.embedding_learning_rate": { c, v, k in c.optimizer.embeddingLearningRate = try v.float(k, 0...Double.greatestFiniteMagnitude, open: true) },
        "run.steps": { c, v, k in c.run.steps = try v.int(k, 1...Int.max) },
        "run.batch_size": { c, v, k in c.run.batchSize = try v.int(k, 1...Int.max) },
        "run.seed": { c, v, k in c.run.seed = try v.uint64(k) },
        "run.eval_every": { c, v, k in c.run.evalEvery = try v.int(k, 0...Int.max) },
        "run.eval_samples": { c, v, k in c.run.evalSamples = try v.int(k, 0...Int.max) },
        "run.log_every": { c, v, k in c.run.logEvery = try v.int(k, 1...Int.max) },
        "run.checkpoint_every": { c, v, k in c.run.checkpointEvery = try v.int(k, 0...Int.max) },
        "run.keep_checkpoints": { c, v, k in c.run.keepCheckpoints = try v.int(k, 1...Int.max) },
        "run.step_timeout_seconds": { c, v, k in c.run.stepTimeoutSeconds = try v.double(k, 0...Double.greatestFiniteMagnitude) },
        "sharding.type": { c, v, k in c.sharding.type = try v.oneOf(k, ShardingChoice.allCases.map { ($0.name, $0) }) },
        "sharding.memory_budget_bytes": { c, v, k in c.sharding.memoryBudgetBytes = try v.int(k, 0...Int.max) },
        "sharding.profile_steps": { c, v, k in c.sharding.profileSteps = try v.int(k, 1...Int.max) },
        "sharding.profile_samples": { c, v, k in c.sharding.profileSamples = try v.int(k, 0...Int.max) },
        "sharding.dedup_ids": { c, v, k in c.sharding.dedupIds = try v.bool(k) },
        "sharding.profile": { c, v, k in c.sharding.profilePath = try v.string(k) },
        "topology.ranks_per_node": { c, v, k in c.topology.ranksPerNode = try v.int(k, 1...Int.max) },
        "topology.intra_node_gibps": { c, v, k in c.topology.intraNodeGiBps = try v.double(k, 0...Double.greatestFiniteMagnitude, open: true) },
        "topology.inter_node_gibps": { c, v, k in c.topology.interNodeGiBps = try v.double(k, 0...Double.greatestFiniteMagnitude, open: true) },
        "topology.calibration": { c, v, k in c.topology.calibration = try v.string(k) },
        "embedding.precision": { c, v, k in c.precision.embedding = try v.choice(k) },
        "comm.precision": { c, v, k in c.precision.comm = try v.choice(k) },
        "comm.backward_precision": { c, v, k in c.precision.commBackward = try v.choice(k) as RowPrecision },
    ]

    /// The walk and overrides over `setters`, with `sharding.tables.NAME` as a named key.
    package static let keys = DottedKeys<RunConfig>(setters: setters, named: [
        ("sharding.tables.", { c, table, v, k in c.sharding.tables[table] = try v.choice(k) }),
    ])

    package static func set(_ key: String, _ value: Value, in config: inout RunConfig) throws {
        try keys.set(key, value, in: &config)
    }

    package static func apply(_ node: Node, prefix: String, file: String, to config: inout RunConfig) throws {
        try keys.apply(node, prefix: prefix, file: file, to: &config)
    }

    package static func suggestion(for key: String) -> String { suggestion(for: key, among: Array(setters.keys)) }

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
