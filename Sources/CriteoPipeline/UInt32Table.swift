/// A map from 32-bit keys to positive 32-bit values, open addressing with
/// linear probing (value 0 marks an empty slot). Counting a terabyte's values
/// is billions of lookups; a multiply-shift hash and one probe sequence in two
/// flat arrays run several times faster than `Dictionary`'s seeded SipHash.
public struct UInt32Table: Sendable {
    private(set) var keys: [UInt32]
    private(set) var values: [UInt32]
    public private(set) var count = 0
    private var shift: UInt64

    public init(capacity: Int = 1 << 10) {
        var c = 16, bits: UInt64 = 4
        while c < 2 * capacity { c *= 2; bits += 1 }
        keys = [UInt32](repeating: 0, count: c)
        values = [UInt32](repeating: 0, count: c)
        shift = 64 - bits
    }

    @inline(__always)
    private func slot(_ key: UInt32) -> Int { Int((UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// The value of `key`, or 0 when absent.
    @inline(__always)
    public func value(_ key: UInt32) -> UInt32 {
        let mask = keys.count - 1
        var i = slot(key)
        while true {
            let v = values[i]
            if v == 0 || keys[i] == key { return v }
            i = (i + 1) & mask
        }
    }

    /// Adds `amount` to `key`'s value (absent: 0), saturating at UInt32.max.
    @inline(__always)
    public mutating func add(_ key: UInt32, _ amount: UInt32 = 1) {
        let mask = keys.count - 1
        var i = slot(key)
        while true {
            let v = values[i]
            if v == 0 {
                keys[i] = key; values[i] = amount; count += 1
                if 2 * count > keys.count { grow() }
                return
            }
            if keys[i] == key {
                let (s, over) = v.addingReportingOverflow(amount)
                values[i] = over ? .max : s
                return
            }
            i = (i + 1) & mask
        }
    }

    /// Sets `key`'s value (positive).
    public mutating func set(_ key: UInt32, _ value: UInt32) {
        precondition(value > 0, "0 marks an empty slot")
        let mask = keys.count - 1
        var i = slot(key)
        while values[i] != 0 && keys[i] != key { i = (i + 1) & mask }
        if values[i] == 0 { count += 1 }
        keys[i] = key; values[i] = value
        if 2 * count > keys.count { grow() }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt32](repeating: 0, count: 2 * oldKeys.count)
        values = [UInt32](repeating: 0, count: 2 * oldKeys.count)
        shift -= 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) where v != 0 { set(k, v) }
    }

    /// (key, value) pairs in increasing key order.
    public func sorted() -> [(key: UInt32, value: UInt32)] {
        zip(keys, values).filter { $0.1 != 0 }.map { (key: $0.0, value: $0.1) }.sorted { $0.key < $1.key }
    }
}
