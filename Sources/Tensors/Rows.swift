/// Copies and sums of short rows (embedding rows, per-sample feature
/// vectors), inlined and 8 lanes at a time.
///
/// Why: rows here are 16 to 128 floats, and a step moves tens of thousands
/// of them one at a time. `update(from:count:)` is a call into memmove per
/// row, whose fixed cost is larger than the row's 64 bytes; at the Kaggle
/// shape such calls would cost about 3 % of a step. Inlined, the copy of a 16-float row
/// is two vector loads and two stores.
public enum Rows {
    /// `dst[0..<n] = src[0..<n]`; the ranges must not overlap.
    @inlinable @inline(__always)
    public static func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { dst[i] = src[i]; i += 1 }
    }

    /// `dst[0..<n] += src[0..<n]`, element by element (the same sums, in
    /// the same order, as a scalar loop).
    @inlinable @inline(__always)
    public static func add(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n {
            let a = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { dst[i] += src[i]; i += 1 }
    }
}
