import Collectives
import ScaLAPACK
import XCTest

/// Block-cyclic arithmetic against entry-by-entry counting (ScaLAPACK itself
/// runs under mpirun: strata-mpitest scalapack).
final class LayoutTests: XCTestCase {
    func testLocalCountsAndIndicesMatchCounting() {
        for count in [0, 1, 5, 37, 64, 130] {
            for block in [1, 3, 4, 64] {
                for procs in 1...5 {
                    let d = BlockCyclic(count: count, block: block, procs: procs)
                    var seen = [Int](repeating: 0, count: procs)
                    for g in 0..<count {
                        let p = d.owner(g)
                        XCTAssertEqual(d.local(g), seen[p], "local index of \(g) (\(count)/\(block)/\(procs))")
                        XCTAssertEqual(d.global(d.local(g), on: p), g)
                        seen[p] += 1
                    }
                    XCTAssertEqual((0..<procs).map(d.localCount), seen, "NUMROC of \(count) in blocks of \(block) over \(procs)")
                }
            }
        }
    }

    func testOverlapAndElementsMovedMatchCounting() {
        let a = MatrixLayout.columnBlocks(rows: 23, cols: 41, ranks: 4)
        let b = MatrixLayout(rows: 23, cols: 41, rowBlock: 4, colBlock: 4, gridRows: 2, gridCols: 2)
        var moved = [[Int]](repeating: [Int](repeating: 0, count: 4), count: 4)
        for i in 0..<23 {
            for j in 0..<41 {
                moved[a.rank(row: a.rows.owner(i), col: a.cols.owner(j))][b.rank(row: b.rows.owner(i), col: b.cols.owner(j))] += 1
            }
        }
        for p in 0..<4 { for q in 0..<4 { XCTAssertEqual(a.elementsMoved(from: p, to: q, target: b), moved[p][q], "\(p) -> \(q)") } }
        XCTAssertEqual(moved.joined().reduce(0, +), 23 * 41)
    }

    func testLineLayoutIsEachRanksColumnBlock() {
        for (cols, ranks) in [(10, 4), (3, 4), (610, 4), (7, 3), (1, 1)] {
            let line = MatrixLayout.columnBlocks(rows: 5, cols: cols, ranks: ranks)
            var next = 0
            for r in 0..<ranks {
                let block = ScaLAPACKEngine.columnBlock(cols, rank: r, ranks: ranks)
                XCTAssertEqual(block.lowerBound, next, "blocks are contiguous and in rank order")
                XCTAssertEqual(line.localCols(r), block.count)
                if let first = block.first { XCTAssertEqual(line.cols.owner(first), r) }
                next = block.upperBound
            }
            XCTAssertEqual(next, cols)
        }
    }

    func testGridShapeIsTheMostSquare() {
        XCTAssertTrue(ScaLAPACKEngine.gridShape(ranks: 1) == (1, 1))
        XCTAssertTrue(ScaLAPACKEngine.gridShape(ranks: 2) == (1, 2))
        XCTAssertTrue(ScaLAPACKEngine.gridShape(ranks: 4) == (2, 2))
        XCTAssertTrue(ScaLAPACKEngine.gridShape(ranks: 6) == (2, 3))
        XCTAssertTrue(ScaLAPACKEngine.gridShape(ranks: 7) == (1, 7))
        XCTAssertTrue(ScaLAPACKEngine.gridShape(ranks: 64) == (8, 8))
    }

    func testThreadRanksAreRefusedWithASentence() {
        XCTAssertThrowsError(try ScaLAPACKEngine(comm: LocalCommunicator())) { e in
            XCTAssertTrue("\(e)".contains("needs MPI ranks"), "\(e)")
        }
    }
}
