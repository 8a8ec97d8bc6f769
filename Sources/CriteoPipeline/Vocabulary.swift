import Collectives
import Data
import Foundation

/// How often each C column's values occur in one rank's share of the input.
struct CriteoCounts {
    var perColumn = (0..<26).map { _ in UInt32Table(capacity: 1 << 12) }

    mutating func add(_ f: CriteoFields) {
        for k in 0..<26 where f.present[k] { perColumn[k].add(f.hashes[k]) }
    }

    /// Per column, the values seen at least `threshold` times over every
    /// rank's share, in increasing order, the same on every rank. Each value
    /// has an owner rank (a hash of it modulo R): counts travel to their owner
    /// in one all-to-all, each owner sums its values and keeps the frequent
    /// ones, and only those are gathered. A rank holds about 1/R of the
    /// distinct values (the terabyte logs have hundreds of millions), and the
    /// sums do not depend on how the input was shared, so any world size gives
    /// the vocabulary one rank gives.
    func frequent(threshold: Int, over comm: Communicator) -> [[UInt32]] {
        let R = comm.size, least = UInt32(clamping: threshold)
        return perColumn.map { table in
            var buckets = [[Int64]](repeating: [], count: R)
            for (key, count) in zip(table.keys, table.values) where count != 0 {
                let owner = Int((UInt64(key) &* 0xFF51_AFD7_ED55_8CCD) >> 32) % R
                buckets[owner].append(Int64(bitPattern: UInt64(key) << 32 | UInt64(count)))
            }
            let (received, _) = comm.alltoallv(.control, buckets.flatMap { $0 }, sendCounts: buckets.map(\.count))
            var sums = UInt32Table(capacity: received.count)
            for p in received {
                let bits = UInt64(bitPattern: p)
                sums.add(UInt32(truncatingIfNeeded: bits >> 32), UInt32(truncatingIfNeeded: bits))
            }
            let mine = sums.sorted().filter { $0.value >= least }.map { Int64($0.key) }
            return comm.allgatherv(.control, mine).map { UInt32($0) }.sorted()
        }
    }
}

/// Categorical ids from a vocabulary: per C column, the values seen at least
/// `threshold` times get rows 1...V in increasing hash order; rarer values
/// share row 0, as dlrm's and TorchRec's Criteo preprocessing do. A missing
/// value stays an empty bag. Saved beside the shards as `vocabulary.bin`:
/// ```
/// "STRATAV1"   8 bytes
/// threshold    UInt64
/// V[26]        UInt64 each: frequent values per column
/// values       UInt32 [V0 + ... + V25], each column's in increasing order
/// ```
public struct CriteoVocabulary: Equatable, Sendable {
    public let threshold: Int
    /// Per column, the frequent values in increasing order.
    public let values: [[UInt32]]
    /// Per column, value -> row (absent: row 0, the rare values').
    private let rows: [UInt32Table]

    public init(threshold: Int, values: [[UInt32]]) {
        precondition(values.count == 26, "26 columns")
        self.threshold = threshold
        self.values = values
        rows = values.map { v in
            var t = UInt32Table(capacity: v.count)
            for (i, x) in v.enumerated() { t.set(x, UInt32(i + 1)) }
            return t
        }
    }

    public static func == (a: Self, b: Self) -> Bool { a.threshold == b.threshold && a.values == b.values }

    /// Rows of each column's table: the frequent values and the shared row 0.
    public var tableRows: [Int] { values.map { $0.count + 1 } }

    @inline(__always)
    func row(column k: Int, hash h: UInt32) -> Int32 { Int32(bitPattern: rows[k].value(h)) }

    static let magic = Array("STRATAV1".utf8)
    public static let fileName = "vocabulary.bin"

    public func write(to path: String) throws {
        var out = Self.magic
        func put(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(threshold))
        for v in values { put(UInt64(v.count)) }
        for v in values { for x in v { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } } }
        let tmp = path + ".tmp"
        do {
            try Foundation.Data(out).write(to: URL(fileURLWithPath: tmp))
            guard rename(tmp, path) == 0 else { throw DataError.unreadable(file: path, reason: "rename failed, errno \(errno)") }
        } catch let e as DataError { throw e } catch { throw DataError.unreadable(file: path, reason: "write failed: \(error)") }
    }

    public static func read(path: String) throws -> CriteoVocabulary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(file: path, reason: "no such file or not readable")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 + 8 * 27, Array(bytes.prefix(8)) == magic else {
            throw DataError.corrupted(file: path, reason: "not a Strata vocabulary (bad magic or shorter than its header)")
        }
        func word(_ i: Int) -> UInt64 { bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: i, as: UInt64.self)) } }
        let threshold = word(8)
        let counts = (0..<26).map { Int(clamping: word(16 + 8 * $0)) }
        let need = 8 + 8 * 27 + 4 * counts.reduce(0) { $0 &+ $1 }
        guard threshold <= UInt64(Int.max), counts.allSatisfy({ $0 < Int(Int32.max) }), bytes.count == need else {
            throw DataError.corrupted(file: path, reason: "\(bytes.count) bytes, the header's counts need \(need)")
        }
        var at = 8 + 8 * 27, values: [[UInt32]] = []
        for (k, n) in counts.enumerated() {
            let v = bytes.withUnsafeBytes { raw in (0..<n).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 4 * $0, as: UInt32.self)) } }
            guard zip(v, v.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw DataError.corrupted(file: path, reason: "C\(k + 1)'s values are not in increasing order")
            }
            values.append(v); at += 4 * n
        }
        return CriteoVocabulary(threshold: Int(threshold), values: values)
    }
}
