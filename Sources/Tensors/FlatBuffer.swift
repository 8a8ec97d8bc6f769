/// One zeroed allocation of `count` elements, owned by a class so its address
/// never moves and it is freed exactly once (in `deinit`).
///
/// Hot loops take `pointer` (or views at layout offsets) and never touch Swift
/// arrays, so a training step allocates nothing (SYSTEM.md, "Hot loops").
public final class FlatBuffer<Element: Numeric> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Element>

    public init(count: Int) {
        precondition(count >= 0)
        self.count = count
        // Allocate at least one element so `pointer` is always valid.
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { pointer.deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Element> { .init(start: pointer, count: count) }

    /// The view of one layout entry (only meaningful for `Float` layouts).
    public func view(_ entry: ParameterLayout.Entry) -> UnsafeMutablePointer<Element> { pointer + entry.offset }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public subscript(i: Int) -> Element {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}

/// The parameter arena: a `FlatBuffer<Float>` sized by a `ParameterLayout`.
public typealias Arena = FlatBuffer<Float>
