import Glibc

/// Memory for big, randomly read arrays (embedding tables and their
/// optimizer state), backed by 2 MiB pages where the kernel allows it.
///
/// Why: a lookup reads one 64-byte row from anywhere in tens of megabytes.
/// With 4 KiB pages nearly every such read also misses the TLB (26 tables of
/// 6.4 MB are 40,000 pages; the core's TLB holds about 3,000), so each row
/// costs a page walk on top of the cache miss. With 2 MiB pages the whole
/// set fits in the TLB. Transparent huge pages here are "madvise" only, so
/// the region is mapped 2 MiB-aligned and advised explicitly. Small arrays
/// take the ordinary allocator.
public enum LargePages {
    public static let pageBytes = 2 << 20

    /// `count` uninitialised elements (zero-filled when mapped).
    public static func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(count, 1) * MemoryLayout<T>.stride
        guard bytes >= pageBytes else { return .allocate(capacity: max(count, 1)) }
        let length = rounded(bytes)
        // Over-map by one page so a 2 MiB-aligned start exists, then trim.
        guard let raw = mmap(nil, length + pageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else {
            fatalError("out of memory mapping \(bytes) bytes")
        }
        let start = UInt(bitPattern: raw)
        let aligned = (start + UInt(pageBytes) - 1) & ~UInt(pageBytes - 1)
        let head = Int(aligned - start), tail = pageBytes - head
        if head > 0 { munmap(raw, head) }
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + UInt(length)), tail) }
        let p = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(p, length, MADV_HUGEPAGE)   // advice only: 4 KiB pages still work
        return p.bindMemory(to: T.self, capacity: count)
    }

    /// Frees what `allocate` returned for the same `count`.
    public static func deallocate<T>(_ p: UnsafeMutablePointer<T>, count: Int) {
        let bytes = max(count, 1) * MemoryLayout<T>.stride
        guard bytes >= pageBytes else { p.deallocate(); return }
        munmap(UnsafeMutableRawPointer(p), rounded(bytes))
    }

    private static func rounded(_ bytes: Int) -> Int { (bytes + pageBytes - 1) / pageBytes * pageBytes }
}
