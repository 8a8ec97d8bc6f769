import XCTest
import Tensors

final class LargePagesTests: XCTestCase {
    /// Big regions come from mmap (2 MiB-aligned, zero-filled), small ones from
    /// the allocator; both hold what is written and free without error.
    func testRegionsHoldDataAndFree() {
        for count in [1, 1000, LargePages.pageBytes / 4, LargePages.pageBytes / 4 + 17, 3 * LargePages.pageBytes / 4] {
            let p = LargePages.allocate(Float.self, count: count)
            if count * 4 >= LargePages.pageBytes {
                XCTAssertEqual(UInt(bitPattern: p) % UInt(LargePages.pageBytes), 0, "count \(count)")
                XCTAssertEqual(p[count - 1], 0)
            }
            for i in stride(from: 0, to: count, by: 997) { p[i] = Float(i) }
            p[count - 1] = -1
            for i in stride(from: 0, to: count - 1, by: 997) { XCTAssertEqual(p[i], Float(i)) }
            XCTAssertEqual(p[count - 1], -1)
            LargePages.deallocate(p, count: count)
        }
    }
}
