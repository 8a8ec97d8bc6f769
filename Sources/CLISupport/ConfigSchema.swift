import Collectives

/// A config section declared once, in order: each key with what it holds
/// (for --help), the values it allows when numeric (checked before the
/// setter runs, listed by `strata ranges`) and where its value goes. The
/// decoding is `DottedKeys`'s: YAML nesting or dotted keys, `--set`
/// overrides, unknown keys refused with the nearest known one, file:line in
/// every refusal.
package struct ConfigSchema<Config> {
    package var keys: [(name: String, key: DeclaredKey<Config>)]
    /// Said after an unknown key's suggestion (" (see strata fl --help)").
    package var hint = ""
    /// Where each key given is recorded with its value and origin, for
    /// refusals that span keys ("device.tiers takes effect only with ...").
    package var record: WritableKeyPath<Config, [String: ConfigLoader.Value]>?

    package init(_ keys: [(String, DeclaredKey<Config>)], hint: String = "",
                 record: WritableKeyPath<Config, [String: ConfigLoader.Value]>? = nil) {
        self.keys = keys.map { (name: $0.0, key: $0.1) }
        self.hint = hint; self.record = record
    }

    package var dotted: DottedKeys<Config> {
        let fixed = keys.filter { $0.key.named == nil }
        var d = DottedKeys<Config>(setters: Dictionary(uniqueKeysWithValues: fixed.map { ($0.name, $0.key.set) }),
                                   named: keys.compactMap { k in k.key.named.map { set in (prefix: Self.prefix(of: k.name), set: { c, name, v, key in
                                       if let allowed = k.key.allowed { try DottedKeys<Config>.check(v, allowed, key: key) }
                                       try set(&c, name, v, key)
                                   }) } },
                                   ranges: Dictionary(uniqueKeysWithValues: fixed.compactMap { k in k.key.allowed.map { (k.name, $0) } }))
        d.hint = hint; d.record = record
        return d
    }

    /// A named key's declared name without its placeholder: `sharding.tables.NAME` → `sharding.tables.`.
    static func prefix(of name: String) -> String { String(name[...(name.lastIndex(of: ".") ?? name.startIndex)]) }

    /// The file's keys, then each `--set key=value`, over `config`'s defaults.
    package func read(file: String?, overrides: [String], into config: inout Config) throws {
        try dotted.read(file: file, overrides: overrides, into: &config)
    }

    /// One line a key, "  name: what it holds", in declaration order (those whose name starts with one of `prefixes`).
    package func help(_ prefixes: [String] = [""]) -> String {
        keys.filter { k in prefixes.contains { k.name.hasPrefix($0) } }.map { "  \($0.name): \($0.key.help)" }.joined(separator: "\n")
    }

    /// The numeric keys as `strata ranges` lists them.
    package func rangeEntries(command: String, mode: String, probe: [String] = []) -> [RangeEntry] {
        keys.compactMap { k in k.key.allowed.map { RangeEntry(command: command, mode: mode, name: k.name, allowed: $0, probe: probe) } }
    }
}

/// Typed keys: a numeric key cannot be declared without its range, and a
/// list key takes a YAML list (a lone value is a list of one).
extension DeclaredKey {
    package static func int(_ p: WritableKeyPath<Config, Int>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = try v.int(k) }
    }
    package static func int(_ p: WritableKeyPath<Config, Int?>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = try v.int(k) }
    }
    /// A seed: any non-negative integer.
    package static func seed(_ p: WritableKeyPath<Config, UInt64>, _ help: String = "") -> Self {
        Self(.seed, help: help) { c, v, k in c[keyPath: p] = UInt64(try v.int(k)) }
    }
    package static func seed(_ p: WritableKeyPath<Config, UInt64?>, _ help: String = "") -> Self {
        Self(.seed, help: help) { c, v, k in c[keyPath: p] = UInt64(try v.int(k)) }
    }
    package static func real(_ p: WritableKeyPath<Config, Double>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = try v.double(k) }
    }
    package static func real(_ p: WritableKeyPath<Config, Double?>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = try v.double(k) }
    }
    package static func ints(_ p: WritableKeyPath<Config, [Int]>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = try v.list(k, "integers") { try $0.int(k) } }
    }
    package static func reals(_ p: WritableKeyPath<Config, [Double]>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = try v.list(k, "numbers") { try $0.double(k) } }
    }
    package static func bool(_ p: WritableKeyPath<Config, Bool>, _ help: String = "") -> Self {
        Self(nil, help: help) { c, v, k in c[keyPath: p] = try v.bool(k) }
    }
    package static func bool(_ p: WritableKeyPath<Config, Bool?>, _ help: String = "") -> Self {
        Self(nil, help: help) { c, v, k in c[keyPath: p] = try v.bool(k) }
    }
    package static func string(_ p: WritableKeyPath<Config, String>, _ help: String = "") -> Self {
        Self(nil, help: help) { c, v, k in c[keyPath: p] = try v.string(k) }
    }
    package static func string(_ p: WritableKeyPath<Config, String?>, _ help: String = "") -> Self {
        Self(nil, help: help) { c, v, k in c[keyPath: p] = try v.string(k) }
    }
    /// One of an enum's raw values (the refusal lists them and the nearest).
    package static func choice<E: CaseIterable & RawRepresentable>(_ p: WritableKeyPath<Config, E>, _ help: String = "") -> Self
    where E.RawValue == String {
        Self(nil, help: help) { c, v, k in c[keyPath: p] = try v.choice(k) }
    }
    package static func choice<E: CaseIterable & RawRepresentable>(_ p: WritableKeyPath<Config, E?>, _ help: String = "") -> Self
    where E.RawValue == String {
        Self(nil, help: help) { c, v, k in c[keyPath: p] = try v.choice(k) as E }
    }
    /// `choice`, its help ending with the names it takes ("...: mean | attention").
    package static func choices<E: CaseIterable & RawRepresentable>(_ p: WritableKeyPath<Config, E>, _ help: String) -> Self
    where E.RawValue == String {
        choice(p, help + ": " + E.allCases.map(\.rawValue).joined(separator: " | "))
    }
    package static func choices<E: CaseIterable & RawRepresentable>(_ p: WritableKeyPath<Config, E?>, _ help: String) -> Self
    where E.RawValue == String {
        choice(p, help + ": " + E.allCases.map(\.rawValue).joined(separator: " | "))
    }
    /// One of a closed set of names (a type coded by a name, not a raw value).
    package static func oneOf<T>(_ p: WritableKeyPath<Config, T>, _ options: [(String, T)], _ help: String) -> Self {
        let options = options.map { (name: $0.0, value: $0.1) }
        return Self(nil, help: help + ": " + options.map(\.name).joined(separator: " | ")) { c, v, k in c[keyPath: p] = try v.oneOf(k, options) }
    }
    /// A choice per name (`sharding.tables.item: row_wise`), declared as `prefix.NAME`.
    package static func named<E: CaseIterable & RawRepresentable>(_ p: WritableKeyPath<Config, [String: E]>, _ help: String) -> Self
    where E.RawValue == String {
        Self(nil, help: help + ": " + E.allCases.map(\.rawValue).joined(separator: " | ")) { c, name, v, k in c[keyPath: p][name] = try v.choice(k) as E }
    }
}

extension DeclaredKey {
    package static func reals(_ p: WritableKeyPath<Config, [Double]?>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = try v.list(k, "numbers") { try $0.double(k) } }
    }
    /// A Float key; `a` at most a 32-bit float's range (`Allowed.float(above:)`), so the value fits.
    package static func float(_ p: WritableKeyPath<Config, Float>, _ a: Allowed, _ help: String = "") -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = Float(try v.double(k)) }
    }
    /// A list of integers (each in `a`) made into the key's value; `orEmpty`: `[]` is a value (none).
    package static func ints<T>(_ p: WritableKeyPath<Config, T>, _ a: Allowed, _ help: String, orEmpty: Bool,
                                _ make: @escaping ([Int]) -> T) -> Self {
        Self(a, help: help) { c, v, k in c[keyPath: p] = make(try v.list(k, "integers", orEmpty: orEmpty) { try $0.int(k) }) }
    }
    /// A list of names; `[]` is a value (none).
    package static func strings(_ p: WritableKeyPath<Config, [String]>, _ what: String, _ help: String) -> Self {
        Self(nil, help: help) { c, v, k in c[keyPath: p] = try v.list(k, what, orEmpty: true) { try $0.string(k) } }
    }
    /// An integer range given as `[min, max]`, or one number for both, each end in `a`.
    package static func span(_ p: WritableKeyPath<Config, ClosedRange<Int>>, _ a: Allowed, _ help: String) -> Self {
        Self(a, help: help) { c, v, k in
            let ends = try v.list(k, "integers") { try $0.int(k) }
            guard let lo = ends.first, let hi = ends.last, ends.count <= 2 else { throw v.fail(k, "[min, max] or one number") }
            guard lo <= hi else { throw InputError("\(v.origin): \(k) must have \(Int(a.low)) <= min <= max, got \(ends)") }
            c[keyPath: p] = lo...hi
        }
    }
    /// A list of seeds: non-negative integers.
    package static func seeds(_ p: WritableKeyPath<Config, [UInt64]>, _ help: String = "") -> Self {
        Self(.seed, help: help) { c, v, k in c[keyPath: p] = try v.list(k, "seeds") { UInt64(try $0.int(k)) } }
    }
}
