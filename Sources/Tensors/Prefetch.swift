import CPrefetch

/// Software prefetch for random row gathers (embedding lookups and updates).
///
/// Why: one core runs a gather loop only a few rows ahead of itself, so with
/// rows scattered over tens of megabytes each row's miss is paid almost in
/// full. Hinting the row `distance` iterations ahead keeps that many misses
/// in flight while the loop works on rows already in cache; a fixed distance
/// (rather than hinting a whole batch first) keeps the hinted lines from
/// being evicted before use when a batch's rows exceed the L2 cache. Hints
/// never change results.
public enum Prefetch {
    /// Rows ahead: about one DRAM latency of a gather loop's work.
    public static let distance = 16

    @inlinable @inline(__always)
    public static func read(_ p: UnsafeRawPointer) { strata_prefetch(p) }

    @inlinable @inline(__always)
    public static func write(_ p: UnsafeRawPointer) { strata_prefetch_write(p) }

    /// Hints every cache line of `bytes` bytes from `p`, for writing.
    @inlinable @inline(__always)
    public static func write(_ p: UnsafeRawPointer, bytes: Int) {
        var o = 0
        while o < bytes { strata_prefetch_write(p + o); o += 64 }
    }

    /// Hints every cache line of `bytes` bytes from `p` (a row wider than a line).
    @inlinable @inline(__always)
    public static func read(_ p: UnsafeRawPointer, bytes: Int) {
        var o = 0
        while o < bytes { strata_prefetch(p + o); o += 64 }
    }
}
