import Benchmarking
import XCTest

/// The numbers and tables every `strata bench` report is made of, on inputs
/// whose answers are known by hand.
final class BenchStatsTests: XCTestCase {
    func testAnOddCountsMedianIsTheMiddleValueWhateverTheOrder() {
        let s = Spread([5, 1, 3])
        XCTAssertEqual(s.median, 3)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 5)
        XCTAssertEqual(s.samples, 3)
    }

    func testAnEvenCountsMedianIsTheMeanOfTheTwoMiddleValues() {
        let s = Spread([4, 1, 3, 2])
        XCTAssertEqual(s.median, 2.5)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 4)
        XCTAssertEqual(Spread([7]).median, 7)
    }

    func testTheTextIsMedianThenRangeScaledAndRounded() {
        // Seconds shown as milliseconds: 0.0015 s -> 1.50 ms.
        let s = Spread([0.004, 0.001, 0.0015, 0.002])
        XCTAssertEqual(s.text(2, scale: 1000), "1.75 (1.00-4.00)")
        XCTAssertEqual(Spread([12.345]).text(), "12.3 (12.3-12.3)")
    }

    func testASpreadSurvivesJSON() throws {
        let s = Spread([3, 9, 1])
        let back = try JSONDecoder().decode(Spread.self, from: JSONEncoder().encode(s))
        XCTAssertEqual([back.median, back.min, back.max], [3, 1, 9])
        XCTAssertEqual(back.samples, 3)
    }

    func testPaddingAlignsRightUnlessToldLeftAndNeverCuts() {
        XCTAssertEqual(BenchFormat.pad("ab", 4), "  ab")
        XCTAssertEqual(BenchFormat.pad("ab", 4, left: true), "ab  ")
        XCTAssertEqual(BenchFormat.pad("abcde", 3), "abcde")
        XCTAssertEqual(BenchFormat.fixed(2.0 / 3.0, 3), "0.667")
    }

    func testATableSizesEachColumnToItsWidestCellAndLeftAlignsTheFirst() {
        let t = BenchFormat.table(["op", "ms"], [["gemm", "1.5"], ["embedding-bag", "12.25"]])
        XCTAssertEqual(t.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), [
            "op                ms",
            "-------------  -----",
            "gemm             1.5",
            "embedding-bag  12.25",
        ])
    }
}
