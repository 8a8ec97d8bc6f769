/// How embedding rows are stored, or how a payload crosses ranks.
/// `fp32` is the default and the exact path; the 16-bit formats halve the
/// bytes. fp16 (IEEE binary16) keeps 11 significant bits over a narrow range
/// (|x| < 65,504); bf16 keeps 8 bits over fp32's whole range.
public enum RowPrecision: String, Sendable, Codable, CaseIterable {
    case fp32, fp16, bf16

    /// Bytes one element takes.
    public var bytes: Int { self == .fp32 ? 4 : 2 }
}

/// Conversions between f32 and the two 16-bit formats, element by element
/// and over rows. f32 -> 16 bits rounds to nearest (ties to even) or
/// stochastically; 16 bits -> f32 is exact. fp16 goes through Swift's
/// `Float16` (the F16C instructions where the compiler may use them); bf16 is
/// the upper half of an f32, so its conversions are bit operations.
public enum Half16 {
    // MARK: one element

    @inline(__always)
    public static func decode(_ h: UInt16, _ p: RowPrecision) -> Float {
        p == .bf16 ? Float(bitPattern: UInt32(h) << 16) : Float(Float16(bitPattern: h))
    }

    /// Round to nearest, ties to even (fp32 values beyond fp16's range become
    /// infinities, as IEEE rounding does).
    @inline(__always)
    public static func encode(_ x: Float, _ p: RowPrecision) -> UInt16 {
        guard p == .bf16 else { return Float16(x).bitPattern }
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }   // stays a (quiet) NaN
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// Stochastic rounding: to the 16-bit neighbour above |x| with probability
    /// (distance from the one below) / (gap), so the expected result is x
    /// and an update smaller than half a step still moves the row on average.
    /// `r` is 16 uniform random bits: the probability is resolved to 2^-16 of
    /// a step (the draw sits mid-bucket, so the bias is below 2^-17 of a step).
    /// Finite input never gives NaN or an infinity: where rounding up would
    /// overflow, the result rounds toward zero (bf16) or saturates at the
    /// largest finite value (fp16, whose range is narrow).
    @inline(__always)
    public static func encodeStochastic(_ x: Float, _ p: RowPrecision, random r: UInt16) -> UInt16 {
        if p == .bf16 {
            let b = x.bitPattern
            guard x.isFinite else { return encode(x, .bf16) }
            // Adding r to the 16 bits that are dropped carries into the kept
            // half with probability (dropped bits) / 2^16: exactly the rule.
            let up = UInt16(truncatingIfNeeded: (b &+ UInt32(r)) >> 16)
            return up & 0x7F80 == 0x7F80 ? UInt16(truncatingIfNeeded: b >> 16) : up
        }
        guard x.isFinite else { return Float16(x).bitPattern }
        let m = Float(Float16.greatestFiniteMagnitude)
        let xc = Swift.min(Swift.max(x, -m), m)
        let h = Float16(xc), hf = Float(h)
        if hf == xc { return h.bitPattern }
        let (lo, hi) = hf < xc ? (h, h.nextUp) : (h.nextDown, h)
        let flo = Float(lo)
        let prob = (xc - flo) / (Float(hi) - flo)
        let u = (Float(r) + 0.5) * 0x1p-16
        return (u < prob ? hi : lo).bitPattern
    }

    // MARK: rows

    /// `dst[i] = decode(src[i])`.
    @inline(__always)
    public static func decode(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count n: Int, _ p: RowPrecision) {
        if p == .bf16 {
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(src[i]) << 16) }
        } else {
            for i in 0..<n { dst[i] = Float(Float16(bitPattern: src[i])) }
        }
    }

    /// `dst[i] += decode(src[i])`.
    @inline(__always)
    public static func decodeAdd(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count n: Int, _ p: RowPrecision) {
        if p == .bf16 {
            for i in 0..<n { dst[i] += Float(bitPattern: UInt32(src[i]) << 16) }
        } else {
            for i in 0..<n { dst[i] += Float(Float16(bitPattern: src[i])) }
        }
    }

    /// `dst[i] = encode(src[i])`, to nearest.
    @inline(__always)
    public static func encode(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<UInt16>, count n: Int, _ p: RowPrecision) {
        if p == .bf16 {
            for i in 0..<n { dst[i] = encode(src[i], .bf16) }
        } else {
            for i in 0..<n { dst[i] = Float16(src[i]).bitPattern }
        }
    }

    /// Stochastic rounding of a row slice whose first element is column
    /// `firstColumn` of a row keyed by `key`. Column j's 16 random bits are
    /// lane j % 4 of SplitMix64 draw j / 4 of `StrataRNG(seed: key)`, so a
    /// column shard draws what one process holding the whole row draws, and
    /// any rank rounds a row the same way.
    @inline(__always)
    public static func encodeStochastic(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<UInt16>, count n: Int,
                                        _ p: RowPrecision, key: UInt64, firstColumn: Int = 0) {
        var word: UInt64 = 0
        for i in 0..<n {
            let j = firstColumn + i
            if i == 0 || j & 3 == 0 {
                word = StrataRNG.mix(key &+ UInt64(j / 4 + 1) &* 0x9E37_79B9_7F4A_7C15)
            }
            let r = UInt16(truncatingIfNeeded: word >> (16 * UInt64(j & 3)))
            dst[i] = encodeStochastic(src[i], p, random: r)
        }
    }
}
