import Data
import Foundation
import Tensors

/// Criteo-format day files with the shape of the real logs, for measuring the
/// pipeline without the 1 TB download: the 26 columns' cardinalities and the
/// per-column missing rates of the public Kaggle set, values drawn by Zipf's
/// law over each column, heavy-tailed counts for I1...I13, and clicks that
/// depend on a few columns (so a model trained on them learns something).
/// Every line is a pure function of (seed, day, line).
///
/// ```
/// let g = CriteoGenerator(seed: 1)
/// try g.write(day: 0, lines: 1_000_000, to: "day_0.gz")     // gzip, ~50 MB
/// ```
public struct CriteoGenerator: Sendable {
    public var seed: UInt64
    /// Rows of C1...C26 in Criteo's Kaggle data.
    public static let cardinalities = [1460, 583, 10_131_227, 2_202_608, 305, 24, 12517, 633, 3, 93145, 5683, 8_351_593, 3194,
                                       27, 14992, 5_461_306, 10, 5652, 2173, 4, 7_046_547, 18, 15, 286_181, 105, 142_572]
    /// Share of lines missing each column (measured on the Kaggle training set).
    public static let missingC = [0, 0, 0.034, 0.034, 0, 0.121, 0, 0, 0, 0.034, 0, 0.034, 0, 0, 0, 0.034, 0, 0,
                                  0.440, 0.440, 0.034, 0.763, 0, 0.034, 0.440, 0.440]
    public static let missingI = [0.454, 0, 0.215, 0.217, 0.026, 0.223, 0.043, 0.0005, 0.043, 0.454, 0.043, 0.765, 0.217]
    /// Log-normal (mu, sigma) of I1...I13, rounded down (I2 may be -1..-3).
    static let countShape: [(Double, Double)] = [(0.7, 1.2), (2.0, 2.2), (1.8, 1.5), (1.6, 1.0), (7.5, 1.8), (3.5, 1.8), (1.2, 1.6),
                                                 (2.2, 1.0), (3.8, 1.3), (0.3, 0.6), (0.8, 1.0), (0.2, 0.8), (1.5, 1.0)]
    static let exponent = 1.1

    public init(seed: UInt64) { self.seed = seed }

    /// Appends line `line` of day `day` (with its "\n") to `out`.
    public func appendLine(day: Int, line: Int, to out: inout [UInt8]) {
        var g = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: UInt64(day), index: UInt64(line)))
        var fields = [UInt32?](repeating: nil, count: 26)
        var score = -1.2
        for k in 0..<26 where g.nextUnit() >= Self.missingC[k] {
            let rank = Self.samplers[k].sample(&g)
            fields[k] = UInt32(truncatingIfNeeded: StrataRNG.hash(seed: seed ^ 0xC17E0, stream: UInt64(k), index: UInt64(rank)))
            // A click effect per value on a few columns, decaying with rank.
            if k == 0 || k == 5 || k == 13 || k == 16 {
                score += 1.5 * (Double(StrataRNG.hash(seed: seed, stream: 100 + UInt64(k), index: UInt64(rank)) >> 11) * 0x1.0p-53 - 0.5)
            }
        }
        var counts = [Int?](repeating: nil, count: 13)
        for j in 0..<13 where g.nextUnit() >= Self.missingI[j] {
            let (mu, sigma) = Self.countShape[j]
            var v = Int(exp(mu + sigma * g.nextNormal()).rounded(.down))
            if j == 1 && g.nextUnit() < 0.05 { v = -1 - g.nextIndex(below: 3) }
            counts[j] = v
            if j == 2 { score += 0.15 * log(Double(max(v, 0)) + 1) - 0.3 }
        }
        let click = g.nextUnit() < 1 / (1 + exp(-score))
        out.append(click ? 0x31 : 0x30)
        for c in counts {
            out.append(0x09)
            if let c { out.append(contentsOf: String(c).utf8) }
        }
        let hex = Array("0123456789abcdef".utf8)
        for f in fields {
            out.append(0x09)
            if let f { for s in stride(from: 28, through: 0, by: -4) { out.append(hex[Int((f >> UInt32(s)) & 0xF)]) } }
        }
        out.append(0x0A)
    }

    static let samplers = cardinalities.map { ZipfSampler(count: $0, exponent: exponent) }

    /// Writes `lines` lines of day `day` to `path`: gzip when the name ends in
    /// .gz, plain text otherwise. Returns the bytes before compression.
    @discardableResult
    public func write(day: Int, lines: Int, to path: String) throws -> Int {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 21)
        if path.hasSuffix(".gz") {
            let w = try GzipWriter(path: path)
            for i in 0..<lines {
                appendLine(day: day, line: i, to: &buffer)
                if buffer.count >= 1 << 20 || i == lines - 1 {
                    try buffer.withUnsafeBytes { try w.write($0) }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try w.finish()
            return w.bytesIn
        }
        var total = 0
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
            throw DataError.unreadable(file: path, reason: "cannot create \(tmp)")
        }
        do {
            for i in 0..<lines {
                appendLine(day: day, line: i, to: &buffer)
                if buffer.count >= 1 << 20 || i == lines - 1 {
                    try h.write(contentsOf: buffer); total += buffer.count
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try h.close()
        } catch { throw DataError.unreadable(file: path, reason: "write failed: \(error.localizedDescription)") }
        guard rename(tmp, path) == 0 else { throw DataError.unreadable(file: path, reason: "rename failed, errno \(errno)") }
        return total
    }
}
