import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One Criteo line's fields, parsed from bytes into reused storage: the same
/// values and the same refusals as `CriteoReader` (which reads Strings), at a
/// fraction of the cost, since a terabyte is 4.4 billion lines.
struct CriteoFields {
    var label: Float = 0
    /// log(1 + I) for I > 0, else 0 (missing: 0).
    var dense = [Float](repeating: 0, count: 13)
    /// The C columns' 32-bit hashes (0 where missing).
    var hashes = [UInt32](repeating: 0, count: 26)
    var present = [Bool](repeating: false, count: 26)
    /// Field boundaries of the last line (start, end) pairs.
    fileprivate var bounds = [Int](repeating: 0, count: 80)

    /// Whether a line 1 is a header: its first field is not a number.
    static func isHeader(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var n = 0
        while n < line.count && line[n] != 0x09 && line[n] != 0x2C { n += 1 }
        return Double(String(decoding: UnsafeBufferPointer(rebasing: line[0..<n]), as: UTF8.self)) == nil
    }

    /// Parses `line` (tab-separated, or comma-separated when it holds no tab);
    /// on a malformed line returns why (the reader's wording) and leaves the
    /// fields in any state.
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>) -> String? {
        guard let base = line.baseAddress, line.count > 0 else { return "expected 40 fields (label, I1..I13, C1..C26), found 1" }
        let sep: Int32 = memchr(base, 0x09, line.count) != nil ? 0x09 : 0x2C
        // Field boundaries first: a line with the wrong count is refused for
        // that, whatever else is wrong with it (the reader's order of checks).
        let count = bounds.withUnsafeMutableBufferPointer { b -> Int in
            var n = 0, at = 0
            while true {
                let rest = line.count - at
                let hit = rest > 0 ? memchr(base + at, sep, rest) : nil
                let end = hit.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? line.count
                if n < 40 { b[2 * n] = at; b[2 * n + 1] = end }
                n += 1
                guard hit != nil else { return n }
                at = end + 1
            }
        }
        guard count == 40 else { return "expected 40 fields (label, I1..I13, C1..C26), found \(count)" }
        return bounds.withUnsafeBufferPointer { b -> String? in
            @inline(__always) func field(_ f: Int) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(start: base + b[2 * f], count: b[2 * f + 1] - b[2 * f])
            }
            func text(_ f: Int) -> String { String(decoding: field(f), as: UTF8.self) }

            let l = field(0)
            if l.count == 1 && (l[0] == 0x30 || l[0] == 0x31) { label = Float(l[0] - 0x30) }
            else if l.count == 3 && (l[0] == 0x30 || l[0] == 0x31) && l[1] == 0x2E && l[2] == 0x30 { label = Float(l[0] - 0x30) }
            else { return "label '\(text(0))' is not 0 or 1" }

            let failure: String? = dense.withUnsafeMutableBufferPointer { dense in
                for j in 0..<13 {
                    let f = field(1 + j)
                    if f.isEmpty { dense[j] = 0; continue }
                    let v: Double
                    if let exact = Self.integer(f) { v = exact } else {
                        guard let parsed = Double(text(1 + j)), parsed.isFinite else { return "I\(j + 1) '\(text(1 + j))' is not a number" }
                        v = parsed
                    }
                    dense[j] = v > 0 ? Float(log(v + 1)) : 0
                }
                return nil
            }
            if let failure { return failure }
            return hashes.withUnsafeMutableBufferPointer { hashes in
                present.withUnsafeMutableBufferPointer { present in
                    for k in 0..<26 {
                        let f = field(14 + k)
                        if f.isEmpty { present[k] = false; hashes[k] = 0; continue }
                        if let h = Self.hex(f) { hashes[k] = h } else {
                            let t = text(14 + k)
                            guard t.utf8.count <= 8, let h = UInt32(t, radix: 16) else { return "C\(k + 1) '\(t)' is not a 32-bit hex hash" }
                            hashes[k] = h
                        }
                        present[k] = true
                    }
                    return nil
                }
            }
        }
    }

    /// An optional '-' and 1-15 decimal digits, exactly as a Double (every
    /// such integer is representable); nil sends the field to the general parser.
    @inline(__always)
    static func integer(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0, negative = false
        if f[0] == 0x2D { negative = true; i = 1 }
        guard f.count - i >= 1, f.count - i <= 15 else { return nil }
        var v: Int64 = 0
        while i < f.count {
            let d = f[i] &- 0x30
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d); i += 1
        }
        return negative ? -Double(v) : Double(v)
    }

    /// 1-8 hex digits; nil sends the field to the general parser.
    @inline(__always)
    static func hex(_ f: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard f.count <= 8 else { return nil }
        var v: UInt32 = 0
        for c in f {
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x61...0x66: d = c - 0x61 + 10
            case 0x41...0x46: d = c - 0x41 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }
}
