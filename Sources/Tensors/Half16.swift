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
/// stochastically; 16 bits -> f32 is exact. Both formats convert by integer
/// bit arithmetic: bf16 is the upper half of an f32, and fp16 goes through
/// `widenFP16` / `narrowFP16` because Swift builds for baseline x86-64, where
/// every `Float16` conversion is a compiler-rt call (measured: fp16 rows ran
/// 3.6x slower than fp32 through them). The tests hold both to `Float16`.
public enum Half16 {
    // MARK: one element

    @inline(__always)
    public static func decode(_ h: UInt16, _ p: RowPrecision) -> Float {
        p == .bf16 ? Float(bitPattern: UInt32(h) << 16) : widenFP16(h)
    }

    /// Round to nearest, ties to even (fp32 values beyond fp16's range become
    /// infinities, as IEEE rounding does).
    @inline(__always)
    public static func encode(_ x: Float, _ p: RowPrecision) -> UInt16 {
        guard p == .bf16 else { return narrowFP16(x) }
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }   // stays a (quiet) NaN
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// Stochastic rounding: to the 16-bit neighbour above |x| with probability
    /// (distance from the one below) / (gap), so the expected result is x
    /// and an update smaller than half a step still moves the row on average.
    /// `r` is 16 uniform random bits. bf16 drops 16 bits and fp16 13 (of
    /// r's top 13 are used), so the probability is exact; fp16 subnormals
    /// resolve it to 2^-13 of a step (mid-bucket: bias below 2^-14 of a step).
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
        guard x.isFinite else { return narrowFP16(x) }
        // fp16 rounds in magnitude, without a division or a data-dependent
        // branch (the value form mispredicted half its branches): away from
        // zero when the 13 random bits r >> 3 fall below the dropped fraction
        // of a step, so probability = fraction, exactly for normal values.
        let u = x.bitPattern & 0x7FFF_FFFF, r13 = UInt32(r >> 3)
        let sign = UInt16(truncatingIfNeeded: (x.bitPattern >> 16) & 0x8000)
        let magnitude: UInt32
        if u >= 0x3880_0000 {                            // fp16's normal range and above: saturate
            let truncated = (u &- 0x3800_0000) >> 13
            magnitude = Swift.min(truncated &+ (r13 < u & 0x1FFF ? 1 : 0), 0x7BFF)
        } else {                                         // subnormal: units of 2^-24 (exact scaling)
            let m = Float(bitPattern: u) * 0x1p24, whole = m.rounded(.down)
            magnitude = UInt32(whole) &+ ((Float(r13) + 0.5) * 0x1p-13 < m - whole ? 1 : 0)
        }
        return UInt16(truncatingIfNeeded: magnitude) | sign
    }

    // MARK: fp16 by bit arithmetic

    /// binary16 -> binary32, exact (a NaN stays a NaN with its payload).
    @inline(__always)
    public static func widenFP16(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16, em = UInt32(h & 0x7FFF), exp = em & 0x7C00
        if exp == 0x7C00 { return Float(bitPattern: sign | 0x7F80_0000 | (em & 0x3FF) << 13) }
        if exp != 0 { return Float(bitPattern: sign | (em << 13 &+ (127 - 15) << 23)) }
        let f = Float(em) * 0x1p-24                      // zero or subnormal: em units of 2^-24, exact
        return sign != 0 ? -f : f
    }

    /// binary32 -> binary16, round to nearest, ties to even; beyond the range
    /// an infinity, as IEEE rounding; a NaN stays a (quiet) NaN.
    @inline(__always)
    public static func narrowFP16(_ x: Float) -> UInt16 {
        let u = x.bitPattern & 0x7FFF_FFFF
        let sign = UInt16(truncatingIfNeeded: (x.bitPattern >> 16) & 0x8000)
        let r: UInt32
        if u >= 0x4780_0000 {                            // |x| >= 2^16, infinities and NaNs
            r = u > 0x7F80_0000 ? 0x7E00 | (u >> 13 & 0x3FF) : 0x7C00
        } else if u < 0x3880_0000 {                      // |x| < 2^-14: a subnormal or zero
            // The ulp of 0.5 is 2^-24, fp16's subnormal step: the f32 add rounds to it (ties to even).
            r = (Float(bitPattern: u) + 0.5).bitPattern &- 0x3F00_0000
        } else {                                         // rebias the exponent, round the 13 dropped bits
            r = (u &+ 0xC800_0FFF &+ (u >> 13 & 1)) >> 13
        }
        return UInt16(truncatingIfNeeded: r) | sign
    }


    // MARK: rows

    /// `dst[i] = decode(src[i])`.
    @inline(__always)
    public static func decode(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count n: Int, _ p: RowPrecision) {
        if p == .bf16 {
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(src[i]) << 16) }
        } else {
            for i in 0..<n { dst[i] = widenFP16(src[i]) }
        }
    }

    /// `dst[i] += decode(src[i])`.
    @inline(__always)
    public static func decodeAdd(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count n: Int, _ p: RowPrecision) {
        if p == .bf16 {
            for i in 0..<n { dst[i] += Float(bitPattern: UInt32(src[i]) << 16) }
        } else {
            for i in 0..<n { dst[i] += widenFP16(src[i]) }
        }
    }

    /// `dst[i] = encode(src[i])`, to nearest.
    @inline(__always)
    public static func encode(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<UInt16>, count n: Int, _ p: RowPrecision) {
        if p == .bf16 {
            for i in 0..<n { dst[i] = encode(src[i], .bf16) }
        } else {
            for i in 0..<n { dst[i] = narrowFP16(src[i]) }
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
