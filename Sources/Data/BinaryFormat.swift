import Foundation
import Sparse

/// How user-side features are stored in a binary data file.
public enum BinaryLayout: String, Sendable, Codable, Equatable {
    /// One user-side row per sample (what a flat KJT batch holds).
    case flat
    /// Each distinct user-side row once (a session's features stored once) plus an
    /// `inverse` column: the RecD storage form.
    case session
}

/// The JSON header of a binary data file.
///
/// File layout (little-endian):
/// ```
/// offset 0    "STRATAD1"                    8 bytes magic
/// offset 8    H: UInt64                     header length
/// offset 16   header JSON (H bytes)         schema, counts, layout, checksum
/// offset 16+H payload, columns in order:
///             labels        Float32 [N]
///             dense         Float32 [N x denseCount]
///             item lengths  Int32   [Ki x N]      key-major
///             item values   Int64   [Vi]
///             user lengths  Int32   [Ku x U]      U = N when flat
///             user values   Int64   [Vu]
///             inverse       Int32   [N]           session layout only
/// ```
/// `checksum` is FNV-1a 64 over the payload bytes, as 16 hex digits.
public struct BinaryHeader: Sendable, Codable, Equatable {
    public var version: Int
    public var layout: BinaryLayout
    public var split: Split
    public var schema: DatasetSchema
    public var sampleCount: Int
    public var uniqueCount: Int
    public var itemValueCount: Int
    public var userValueCount: Int
    public var payloadBytes: Int
    public var checksum: String

    /// The header's bytes: keys sorted, so equal headers give equal files
    /// (an encoder's key order otherwise changes from one process to the next).
    static func encoded(_ h: BinaryHeader) throws -> Foundation.Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(h)
    }

    /// JSON bytes with their keys sorted (nil when they are not JSON): headers
    /// of earlier files, whose keys came in any order, compare alike.
    static func canonical(_ json: Foundation.Data) -> Foundation.Data? {
        guard let object = try? JSONSerialization.jsonObject(with: json) else { return nil }
        return try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    var expectedPayloadBytes: Int {
        let n = sampleCount, ki = schema.itemSideFeatures.count, ku = schema.userSideFeatures.count
        return 4 * n + 4 * n * schema.denseCount + 4 * ki * n + 8 * itemValueCount
            + 4 * ku * uniqueCount + 8 * userValueCount + (layout == .session ? 4 * n : 0)
    }
}

/// A data file in the binary columnar format, opened through a memory map.
///
/// ```
/// let ds = SyntheticDataset(SyntheticConfig())
/// let bytes = try BinaryDataset.write(ds.all(.train), schema: ds.schema, split: .train,
///                                     layout: .session, to: "/tmp/train.strata")
/// let back = try BinaryDataset(path: "/tmp/train.strata")
/// back.all(.train) == ds.all(.train)        // exact
/// ```
public struct BinaryDataset: BatchSource {
    static let magic = Array("STRATAD1".utf8)
    public let header: BinaryHeader
    public var schema: DatasetSchema { header.schema }
    /// Every sample, user side in the file's unique rows + inverse.
    let all: Batch
    /// Per sample, the nearest earlier sample using the same unique user row
    /// (-1: none): `fill` dedups a slice with it, without a map.
    let previousUse: [Int32]

    public func sampleCount(_ split: Split) -> Int { split == header.split ? header.sampleCount : 0 }

    // MARK: Writing

    /// Writes `batch` (a whole split) atomically: to a temporary file in the same
    /// folder, then renamed. Returns the file's size in bytes.
    @discardableResult
    public static func write(_ batch: Batch, schema: DatasetSchema, split: Split, layout: BinaryLayout,
                             to path: String) throws -> Int {
        guard batch.itemSide.weights == nil, batch.userSide.unique.weights == nil else {
            throw DataError.invalidConfig("the binary format does not store weights yet")
        }
        guard batch.itemSide.keys == schema.itemSideKeys, batch.userSide.keys == schema.userSideKeys,
              batch.dense.count == batch.size * schema.denseCount else {
            throw DataError.invalidConfig("batch does not match schema \(schema.itemSideKeys) / \(schema.userSideKeys)")
        }
        let users: KeyedJaggedTensor
        var inverse: [Int32] = []
        switch layout {
        case .flat:
            users = batch.userSide.expanded()
        case .session:
            // Merge equal rows across the whole file (sessions cut by batch edges too).
            let merged = InverseKeyedJaggedTensor.deduplicating(batch.userSide.unique)
            users = merged.unique
            inverse = batch.userSide.inverse.map { merged.inverse[Int($0)] }
        }
        var payload = Foundation.Data()
        func put<T>(_ a: [T]) { a.withUnsafeBytes { payload.append(contentsOf: $0) } }
        put(batch.labels); put(batch.dense)
        put(batch.itemSide.lengths); put(batch.itemSide.values)
        put(users.lengths); put(users.values)
        if layout == .session { put(inverse) }
        let checksum = payload.withUnsafeBytes { fnv1a64($0) }
        let header = BinaryHeader(version: 1, layout: layout, split: split, schema: schema,
                                  sampleCount: batch.size, uniqueCount: users.stride,
                                  itemValueCount: batch.itemSide.values.count, userValueCount: users.values.count,
                                  payloadBytes: payload.count, checksum: String(format: "%016llx", checksum))
        let json = try BinaryHeader.encoded(header)
        var file = Foundation.Data(magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(payload)

        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        do {
            try file.write(to: tmp)
            if rename(tmp.path, path) != 0 {
                throw DataError.unreadable(file: path, reason: "rename from \(tmp.path) failed, errno \(errno)")
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error as? DataError ?? DataError.unreadable(file: path, reason: "write failed: \(error)")
        }
        return file.count
    }

    /// Writes every sample of `split` of `source`, read in batches of `batchSize`.
    @discardableResult
    public static func write(from source: some BatchSource, split: Split, layout: BinaryLayout,
                             to path: String, batchSize: Int = 65_536) throws -> Int {
        var parts: [Batch] = []
        var start = 0
        let n = source.sampleCount(split)
        while start < n {
            parts.append(source.batch(globalStart: start, count: batchSize, split: split, dedup: true))
            start += batchSize
        }
        let whole = parts.isEmpty ? source.batch(globalStart: 0, count: 0, split: split, dedup: true)
                                  : try Batch.concatenating(parts)
        return try write(whole, schema: source.schema, split: split, layout: layout, to: path)
    }

    // MARK: Reading

    /// Opens `path` (memory-mapped), checks magic, header, size and checksum.
    public init(path: String) throws {
        let data: Foundation.Data
        do { data = try Foundation.Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError.unreadable(file: path, reason: "\(error)")
        }
        guard data.count >= 16 else {
            throw DataError.truncated(file: path, reason: "\(data.count) bytes, shorter than the 16-byte preamble")
        }
        guard Array(data.prefix(8)) == Self.magic else {
            throw DataError.corrupted(file: path, reason: "bad magic, not a Strata data file")
        }
        let h = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
        guard h <= UInt64(data.count - 16) else {
            throw DataError.truncated(file: path, reason: "header of \(h) bytes, file has \(data.count - 16) after the preamble")
        }
        let payloadStart = 16 + Int(h)
        let header: BinaryHeader
        do { header = try JSONDecoder().decode(BinaryHeader.self, from: data.subdata(in: 16..<payloadStart)) } catch {
            throw DataError.corrupted(file: path, reason: "unreadable header: \(error)")
        }
        // A damaged header can still decode (an unknown key where an optional
        // one was, say); only one that says exactly what was written is whole.
        guard BinaryHeader.canonical(data.subdata(in: 16..<payloadStart)) == BinaryHeader.canonical(try BinaryHeader.encoded(header)) else {
            throw DataError.corrupted(file: path, reason: "header holds keys or values the format does not write")
        }
        guard header.version == 1 else {
            throw DataError.corrupted(file: path, reason: "unknown version \(header.version)")
        }
        guard header.payloadBytes == header.expectedPayloadBytes else {
            throw DataError.corrupted(file: path, reason: "header says \(header.payloadBytes) payload bytes, counts give \(header.expectedPayloadBytes)")
        }
        let have = data.count - payloadStart
        guard have >= header.payloadBytes else {
            throw DataError.truncated(file: path, reason: "payload has \(have) of \(header.payloadBytes) bytes")
        }
        guard have == header.payloadBytes else {
            throw DataError.corrupted(file: path, reason: "\(have - header.payloadBytes) bytes after the payload")
        }
        let sum = data.withUnsafeBytes { fnv1a64(UnsafeRawBufferPointer(rebasing: $0[payloadStart...])) }
        guard String(format: "%016llx", sum) == header.checksum else {
            throw DataError.corrupted(file: path, reason: "checksum mismatch: header \(header.checksum), payload \(String(format: "%016llx", sum))")
        }
        self.header = header

        let n = header.sampleCount, s = header.schema
        var offset = payloadStart
        func take<T>(_ count: Int, _: T.Type) -> [T] {
            let bytes = count * MemoryLayout<T>.stride
            let out = [T](unsafeUninitializedCapacity: count) { buf, initialized in
                data.withUnsafeBytes { src in
                    UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + bytes)]))
                }
                initialized = count
            }
            offset += bytes
            return out
        }
        let labels = take(n, Float.self), dense = take(n * s.denseCount, Float.self)
        let itemLengths = take(s.itemSideFeatures.count * n, Int32.self), itemValues = take(header.itemValueCount, Int64.self)
        let userLengths = take(s.userSideFeatures.count * header.uniqueCount, Int32.self)
        let userValues = take(header.userValueCount, Int64.self)
        let inverse = header.layout == .session ? take(n, Int32.self) : (0..<n).map { Int32($0) }
        do {
            let item = try KeyedJaggedTensor(keys: s.itemSideKeys, stride: n, lengths: itemLengths, values: itemValues)
            let unique = try KeyedJaggedTensor(keys: s.userSideKeys, stride: header.uniqueCount,
                                               lengths: userLengths, values: userValues)
            all = Batch(size: n, labels: labels, dense: dense, itemSide: item,
                        userSide: try InverseKeyedJaggedTensor(unique: unique, inverse: inverse), sampleIndex: 0)
            var lastUse = [Int32](repeating: -1, count: header.uniqueCount)
            previousUse = inverse.enumerated().map { j, r in
                defer { lastUse[Int(r)] = Int32(j) }
                return lastUse[Int(r)]
            }
        } catch {
            throw DataError.corrupted(file: path, reason: "\(error)")
        }
    }

    /// Samples of the file's split. With `dedup`, unique user rows are the file's
    /// rows used by the slice (first-appearance order); without, one per sample.
    public func batch(globalStart: Int, count: Int, split: Split, dedup: Bool) -> Batch {
        let n = sampleCount(split)
        let lo = max(0, min(globalStart, n)), hi = max(lo, min(globalStart + count, n))
        let d = schema.denseCount
        let rows = all.userSide.inverse[lo..<hi]
        var local: [Int32: Int32] = [:], firsts: [Int32] = [], inverse: [Int32] = []
        for r in rows {
            if !dedup { firsts.append(r); inverse.append(Int32(inverse.count)); continue }
            if let l = local[r] { inverse.append(l) } else {
                let l = Int32(firsts.count); local[r] = l; firsts.append(r); inverse.append(l)
            }
        }
        return Batch(size: hi - lo, labels: Array(all.labels[lo..<hi]), dense: Array(all.dense[(lo * d)..<(hi * d)]),
                     itemSide: all.itemSide.slicing(samples: lo..<hi),
                     userSide: try! InverseKeyedJaggedTensor(unique: all.userSide.unique.gathering(samples: firsts),
                                                             inverse: inverse),
                     sampleIndex: lo)
    }

    /// `batch(...)` written into `b`'s storage (the prefetch thread's loop:
    /// once the storage has grown to a batch, no allocation and no map).
    public func fill(_ b: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool) {
        let n = sampleCount(split)
        let lo = max(0, min(globalStart, n)), hi = max(lo, min(globalStart + count, n)), d = schema.denseCount
        let rows = all.userSide.inverse, items = all.itemSide, users = all.userSide.unique, before = previousUse
        // A sample starts a unique row of the slice when no earlier sample of
        // the slice uses its file row: the same first-use order as `batch`.
        @inline(__always) func starts(_ j: Int) -> Bool { !dedup || Int(before[j]) < lo }
        var u = 0
        for j in lo..<hi where starts(j) { u += 1 }
        Batch.refill(&b, size: hi - lo, sampleIndex: lo, itemKeys: items.keys, userKeys: users.keys) { labels, dense, item, user in
        labels.append(contentsOf: all.labels[lo..<hi])
        dense.append(contentsOf: all.dense[(lo * d)..<(hi * d)])
        item.refill(samples: lo..<hi, of: items)
        try! user.refill(uniqueCount: u) { lengths, values, inverse in
            let S = users.stride
            for k in 0..<users.keys.count {
                for j in lo..<hi where starts(j) { lengths.append(users.lengths[k * S + Int(rows[j])]) }
            }
            for k in 0..<users.keys.count {
                for j in lo..<hi where starts(j) {
                    let i = k * S + Int(rows[j])
                    values.append(contentsOf: users.values[users.offsets[i]..<users.offsets[i + 1]])
                }
            }
            var next: Int32 = 0
            for j in lo..<hi {
                if starts(j) { inverse.append(next); next += 1 } else { inverse.append(inverse[Int(before[j]) - lo]) }
            }
        }
        }
    }
}
