/// A growable buffer of allocated memory that never moves while in use and
/// keeps its capacity across steps: the step loop's storage. Unlike an Array,
/// its pointer may be held by a non-blocking MPI call until the wait.
package final class ScratchBuffer<T> {
    package private(set) var pointer: UnsafeMutablePointer<T>
    private(set) var capacity: Int
    package private(set) var count = 0
    private let zero: T

    package init(capacity: Int = 16, zero: T) {
        self.capacity = max(capacity, 1)
        self.zero = zero
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: zero, count: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Grows (moving the contents) only when `n` exceeds the capacity; callers
    /// reserve before handing the pointer to MPI.
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        let newCapacity = max(n, capacity * 2)
        let p = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
        p.moveInitialize(from: pointer, count: count)
        (p + count).initialize(repeating: zero, count: newCapacity - count)
        pointer.deallocate()
        pointer = p
        capacity = newCapacity
    }

    @inline(__always) func removeAll() { count = 0 }

    /// Sets the count to `n` (contents beyond the old count are unspecified).
    func setCount(_ n: Int) {
        reserve(n)
        count = n
    }

    @inline(__always) func append(_ x: T) {
        if count == capacity { reserve(count + 1) }
        pointer[count] = x
        count += 1
    }

    /// Grows the count by `n` and returns where the new elements go (the
    /// caller writes them): one capacity check for a whole run of appends.
    func appendUninitialized(_ n: Int) -> UnsafeMutablePointer<T> {
        reserve(count + n)
        let p = pointer + count
        count += n
        return p
    }

    func append(_ src: UnsafePointer<T>, count n: Int) {
        reserve(count + n)
        (pointer + count).update(from: src, count: n)
        count += n
    }

    /// Sets the count to `n` with every element zero.
    func resizeZeroed(_ n: Int) {
        reserve(n)
        pointer.update(repeating: zero, count: n)
        count = n
    }

    @inline(__always) package subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    var buffer: UnsafeMutableBufferPointer<T> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    var readOnly: UnsafeBufferPointer<T> { UnsafeBufferPointer(start: pointer, count: count) }
}

extension Array where Element == ScratchBuffer<Int32> {
    /// One empty buffer per destination rank: a message block (or its
    /// bookkeeping) per peer, as the router and the dedup keep them.
    static func perPeer(_ peers: Int) -> Self { (0..<peers).map { _ in ScratchBuffer(zero: 0) } }
}

extension ScratchBuffer where T == Int32 {
    /// The sum of the entries, e.g. the floats a list of row widths stands for.
    var sum: Int {
        var n = 0
        for i in 0..<count { n += Int(pointer[i]) }
        return n
    }
}
