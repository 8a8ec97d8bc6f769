import Evolve
import ScalingLaws
import XCTest
import Tensors

final class IREditorTests: XCTestCase {
    /// Parsing and printing back (with every name renamed) gives IR the verifier accepts and that computes the same outputs.
    func testRoundTripVerifiesAndMatchesGolden() throws {
        for kernel in KernelName.allCases {
            let w = try Workspaces.get(kernel)
            XCTAssertGreaterThan(w.original.editableIDs.count, 10, kernel.rawValue)
            let f = w.evaluate([])
            XCTAssertTrue(f.valid, "\(kernel.rawValue): \(f.reason ?? "")")
            XCTAssertEqual(f.error, 0, kernel.rawValue)
        }
    }

    /// Each edit kind, applied alone at random places and repaired, leaves IR that `opt -passes=verify` accepts.
    func testEachEditKindKeepsIRValidAfterRepair() throws {
        for kernel in KernelName.allCases {
            let w = try Workspaces.get(kernel)
            var rng = StrataRNG(seed: 7)
            for kind in Edit.Kind.allCases {
                var applied = 0, tries = 0
                while applied < 3 && tries < 200 {
                    tries += 1
                    guard var e = w.original.randomEdit(rng: &rng) else { continue }
                    if e.kind != kind {
                        // same places, this kind (a replace needs a same-typed donor: keep randomEdit's kind then)
                        if kind == .replace { continue }
                        e.kind = kind
                        if kind == .operand { e.operand = Int(rng.next() % 4) }
                        if kind != .delete && kind != .operand && e.b < 0 { continue }
                    }
                    var f = w.original
                    guard f.apply(e) == .applied else { continue }
                    applied += 1
                    if !w.verifies(module: f.moduleText) {
                        XCTFail("\(kernel.rawValue) \(e): the verifier rejects\n\(f.functionText)")
                        return
                    }
                }
                XCTAssertGreaterThan(applied, 0, "\(kernel.rawValue): no \(kind) edit applied in \(tries) tries")
            }
        }
    }

    /// A deleted value's uses are re-pointed: no operand names it afterwards.
    func testDeleteRepointsUses() throws {
        let w = try Workspaces.get(.smithWaterman)
        let used = w.original.editableIDs.first { id in
            w.original.instructions[id].hasResult && w.original.instructions[id].type != nil
                && w.original.instructions.contains { $0.valueOperands.contains { $0.name == "v\(id)" } }
        }!
        var f = w.original
        XCTAssertEqual(f.apply(Edit(.delete, used, seed: 3)), .applied)
        XCTAssertTrue(f.instructions[used].deleted)
        for ins in f.instructions where !ins.deleted {
            XCTAssertFalse(ins.valueOperands.contains { $0.name == "v\(used)" }, ins.text)
        }
        XCTAssertFalse(f.functionText.contains("%v\(used) ="))
    }
}
