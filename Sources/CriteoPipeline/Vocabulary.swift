import Collectives
import Data
import Foundation

/// How often each C column's values occur in one rank's share of the input.
struct CriteoCounts {
    var perColumn = [[UInt32: UInt32]](repeating: [:], count: 26)

    mutating func add(_ f: CriteoFields) {
        for k in 0..<26 where f.present[k] {
            perColumn[k][f.hashes[k], default: 0] &+= 1
        }
    }

    /// Every rank's counts summed, the same on every rank: each column's
    /// (value, count) pairs gathered from all ranks and added up. The sum does
    /// not depend on how the input was shared out, so any world size gives
    /// the vocabulary one rank gives.
    func merged(over comm: Communicator) -> [[(value: UInt32, count: UInt64)]] {
        perColumn.map { column in
            let mine = column.sorted { $0.key < $1.key }
            let values = comm.allgatherv(.control, mine.map { Int64($0.key) })
            let counts = comm.allgatherv(.control, mine.map { Int64($0.value) })
            var total: [UInt32: UInt64] = [:]
            total.reserveCapacity(values.count)
            for (v, c) in zip(values, counts) { total[UInt32(v), default: 0] += UInt64(c) }
            return total.sorted { $0.key < $1.key }.map { (value: $0.key, count: $0.value) }
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
    private let rows: [[UInt32: Int32]]

    public init(threshold: Int, values: [[UInt32]]) {
        precondition(values.count == 26, "26 columns")
        self.threshold = threshold
        self.values = values
        rows = values.map { v in Dictionary(uniqueKeysWithValues: v.enumerated().map { ($1, Int32($0 + 1)) }) }
    }

    /// The vocabulary of merged counts.
    init(threshold: Int, counts: [[(value: UInt32, count: UInt64)]]) {
        self.init(threshold: threshold, values: counts.map { $0.filter { $0.count >= UInt64(threshold) }.map(\.value) })
    }

    public static func == (a: Self, b: Self) -> Bool { a.threshold == b.threshold && a.values == b.values }

    /// Rows of each column's table: the frequent values and the shared row 0.
    public var tableRows: [Int] { values.map { $0.count + 1 } }

    @inline(__always)
    func row(column k: Int, hash h: UInt32) -> Int32 { rows[k][h] ?? 0 }

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
