import XCTest
import Tensors

/// The 16-bit conversions: exact widening, nearest rounding against Swift's
/// own `Float16` and a bit-level bf16 oracle, and stochastic rounding that is
/// unbiased and never leaves the finite numbers.
final class Half16Tests: XCTestCase {
    /// Every 16-bit pattern widens exactly and narrows back to itself (NaNs stay NaN).
    func testRoundTripOfEveryPattern() {
        for p in [RowPrecision.fp16, .bf16] {
            for bits in 0...UInt16.max {
                let x = Half16.decode(bits, p)
                if x.isNaN { XCTAssertTrue(Half16.decode(Half16.encode(x, p), p).isNaN); continue }
                XCTAssertEqual(Half16.encode(x, p), bits, "\(p) \(bits)")
                XCTAssertEqual(Half16.encodeStochastic(x, p, random: 0xFFFF), bits, "\(p) \(bits): exact values never move")
            }
        }
    }

    /// Nearest: fp16 as Swift's Float16 conversion; bf16 against an oracle
    /// that picks the closer neighbour by exact Double arithmetic (ties to even).
    func testNearestRounding() {
        var rng = StrataRNG(seed: 7)
        for _ in 0..<20_000 {
            let x = Float(rng.nextNormal() * pow(2, Double(rng.nextIndex(below: 40)) - 20))
            XCTAssertEqual(Half16.encode(x, .fp16), Float16(x).bitPattern)
            let lo = x.bitPattern >> 16, hiBits = lo + 1
            let a = Double(Float(bitPattern: lo << 16)), b = Double(Float(bitPattern: hiBits << 16))
            let da = abs(Double(x) - a), db = abs(Double(x) - b)
            let want = da < db ? lo : (db < da ? hiBits : (lo & 1 == 0 ? lo : hiBits))
            XCTAssertEqual(UInt32(Half16.encode(x, .bf16)), want, "\(x)")
        }
    }

    /// The mean of many stochastic roundings of x is x: within 4 standard
    /// errors of the Bernoulli between x's two neighbours (the draw resolves
    /// to 2^-16 of a step, far below that bound). Round-to-nearest would miss
    /// by up to half a step and fail this.
    func testStochasticRoundingIsUnbiased() {
        var rng = StrataRNG(seed: 11)
        let n = 40_000
        for p in [RowPrecision.fp16, .bf16] {
            for x: Float in [1.0 + 1.0 / 3.0, -0.1, 3.3e-5, 1234.567, 7.1e-3, -2.9e-6] {
                var sum = 0.0
                let near = Double(Half16.decode(Half16.encode(x, p), p))
                var lo = Double.infinity, hi = -Double.infinity
                for _ in 0..<n {
                    let v = Double(Half16.decode(Half16.encodeStochastic(x, p, random: UInt16(truncatingIfNeeded: rng.next())), p))
                    lo = min(lo, v); hi = max(hi, v)
                    sum += v
                }
                let mean = sum / Double(n), gap = hi - lo
                XCTAssertGreaterThan(gap, 0, "\(p) \(x): both neighbours drawn")
                let bound = 4 * 0.5 * gap / Double(n).squareRoot()
                XCTAssertEqual(mean, Double(x), accuracy: bound, "\(p) \(x): mean \(mean), nearest \(near)")
                XCTAssertGreaterThan(abs(near - Double(x)), bound, "\(p) \(x): the test separates nearest from stochastic")
            }
        }
    }

    /// An update far below half a step survives on average (nearest loses it).
    func testSmallUpdatesAccumulate() {
        let p = RowPrecision.bf16
        var nearest = Half16.encode(1, p)
        var stochastic = nearest
        var rng = StrataRNG(seed: 3)
        for _ in 0..<4000 {
            nearest = Half16.encode(Half16.decode(nearest, p) + 1e-4, p)
            stochastic = Half16.encodeStochastic(Half16.decode(stochastic, p) + 1e-4, p, random: UInt16(truncatingIfNeeded: rng.next()))
        }
        XCTAssertEqual(Half16.decode(nearest, p), 1)
        XCTAssertEqual(Half16.decode(stochastic, p), 1.4, accuracy: 0.2)   // ~3.5 sigma of the walk
    }

    /// Finite input never becomes NaN or an infinity, at the edges of both ranges.
    func testStochasticRoundingStaysFinite() {
        var rng = StrataRNG(seed: 5)
        let edges: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 65504, 65519, 65520, 70000, -1e30,
                              .leastNonzeroMagnitude, -.leastNormalMagnitude, 6e-8, -3e-8, 0, -0.0, 3 * .leastNonzeroMagnitude]
        for p in [RowPrecision.fp16, .bf16] {
            for x in edges {
                for r in [UInt16(0), 1, 0x7FFF, 0x8000, 0xFFFF] + (0..<50).map({ _ in UInt16(truncatingIfNeeded: rng.next()) }) {
                    let v = Half16.decode(Half16.encodeStochastic(x, p, random: r), p)
                    XCTAssertTrue(v.isFinite, "\(p) \(x) r=\(r) gave \(v)")
                }
            }
            // And over random rows, with the row-keyed draws.
            let src = (0..<4096).map { _ in Float(rng.nextNormal()) * Float(pow(2, Double(rng.nextIndex(below: 200)) - 100)) }
            var dst = [UInt16](repeating: 0, count: src.count)
            Half16.encodeStochastic(src, into: &dst, count: src.count, p, key: 99)
            XCTAssertTrue(dst.allSatisfy { Half16.decode($0, p).isFinite }, "\(p) row")
        }
    }

    /// A column slice draws what the whole row draws for those columns.
    func testColumnSlicesRoundLikeTheWholeRow() {
        var rng = StrataRNG(seed: 8)
        let row = (0..<24).map { _ in Float(rng.nextNormal()) }
        var whole = [UInt16](repeating: 0, count: 24)
        Half16.encodeStochastic(row, into: &whole, count: 24, .bf16, key: 1234)
        for start in [0, 3, 8, 13] {
            var part = [UInt16](repeating: 0, count: 24 - start)
            row.withUnsafeBufferPointer { r in
                Half16.encodeStochastic(r.baseAddress! + start, into: &part, count: 24 - start, .bf16, key: 1234, firstColumn: start)
            }
            XCTAssertEqual(part, Array(whole[start...]), "from column \(start)")
        }
    }

    /// fp16 converts by bit arithmetic; Swift's `Float16` (compiler-rt) is the
    /// oracle: every pattern widens alike, nearest rounding agrees at every
    /// rounding boundary (each pattern's midpoints to its neighbours and one f32
    /// step either side), at the range edges and on random values of every
    /// scale, and stochastic rounding draws what the `Float16` formulation draws.
    func testFP16BitArithmeticMatchesFloat16() {
        for bits in 0...UInt16.max {
            let want = Float(Float16(bitPattern: bits)), got = Half16.widenFP16(bits)
            if want.isNaN { XCTAssertTrue(got.isNaN, "\(bits)"); continue }
            XCTAssertEqual(got.bitPattern, want.bitPattern, "widen \(bits)")
            guard bits & 0x7C00 != 0x7C00 else { continue }
            let up = Float(Float16(bitPattern: bits).nextUp)
            guard up.isFinite else { continue }
            let mid = (want + up) / 2
            for x in [mid, mid.nextUp, mid.nextDown, want.nextUp, up.nextDown] {
                XCTAssertEqual(Half16.narrowFP16(x), Float16(x).bitPattern, "narrow \(x)")
            }
        }
        let edges: [Float] = [65504, 65519.99, 65520, 65535.99, 65536, 1e30, .infinity, -.infinity, .nan,
                              .leastNonzeroMagnitude, 2.98e-8, 2.99e-8, 5.96e-8, 6.1e-5, 6.103515625e-05, 0, -0.0]
        for x in edges + edges.map({ -$0 }) {
            if x.isNaN { XCTAssertTrue(Half16.widenFP16(Half16.narrowFP16(x)).isNaN); continue }
            XCTAssertEqual(Half16.narrowFP16(x), Float16(x).bitPattern, "edge \(x)")
        }
        var rng = StrataRNG(seed: 21)
        for _ in 0..<200_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x8000_0000 | UInt32(0x3000_0000 + rng.nextIndex(below: 0x1800_0000)))
            XCTAssertEqual(Half16.narrowFP16(x), Float16(x).bitPattern, "random \(x)")
            let r = UInt16(truncatingIfNeeded: rng.next())
            XCTAssertEqual(Half16.encodeStochastic(x, .fp16, random: r), Self.float16Stochastic(x, r), "stochastic \(x) \(r)")
        }
    }

    /// Stochastic rounding written with `Float16` and Double: the oracle of
    /// the bit version. In magnitude, away from zero when (r's top 13 bits +
    /// 1/2) / 2^13 is below x's fraction of the step; saturating at 65,504.
    static func float16Stochastic(_ x: Float, _ r: UInt16) -> UInt16 {
        guard x.isFinite else { return Float16(x).bitPattern }
        let a = min(abs(x), 65504), sign: UInt16 = x.sign == .minus ? 0x8000 : 0
        var lo = Float16(a)
        if Float(lo) > a { lo = lo.nextDown }
        if Float(lo) == a { return lo.bitPattern | sign }
        let hi = lo.nextUp
        let fraction = (Double(a) - Double(lo)) / (Double(hi) - Double(lo))
        return ((Double(r >> 3) + 0.5) / 8192 < fraction ? hi : lo).bitPattern | sign
    }
}
