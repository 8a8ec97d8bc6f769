import Evolve
import Foundation
import XCTest

final class EvaluationTests: XCTestCase {
    /// The alignment kernel's signature, for hand-written bodies.
    static let signature = "define dso_local void @kernel(i8* %q, i8* %r, i32* %ql, i32* %rl, i32 %pairs, i32 %stride, float* %out) {"

    func module(_ w: KernelWorkspace, body: String) -> String {
        let lines = w.originalModule.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = lines.firstIndex { $0.hasPrefix("define ") }!
        let end = lines[start...].firstIndex { $0 == "}" }!
        return (lines[..<start] + [Self.signature, body, "}"] + lines[(end + 1)...]).joined(separator: "\n")
    }

    /// A variant that crashes, one that never ends, one that computes the
    /// wrong thing and one that changes its inputs are each marked invalid with the reason, and the workspace
    /// goes on evaluating (the original is still valid afterwards).
    func testCrashingLoopingAndWrongVariantsAreInvalid() throws {
        let dir = NSTemporaryDirectory() + "strata-evolve-invalid-\(getpid())"
        let w = try KernelWorkspace(settings: EvaluationSettings(kernel: .smithWaterman, timeout: 1, repetitions: 2),
                                    toolchain: .debianLLVM14, directory: dir)
        let crash = w.evaluate(module: module(w, body: "entry:\n  %p = getelementptr float, float* %out, i64 -100000000\n  store volatile float 1.0, float* %p\n  ret void"), applied: 0)
        XCTAssertFalse(crash.valid)
        XCTAssertTrue(crash.reason?.contains("crashed") ?? false, crash.reason ?? "")
        let start = Date()
        let loop = w.evaluate(module: module(w, body: "entry:\n  br label %l\nl:\n  store volatile float 1.0, float* %out\n  br label %l"), applied: 0)
        XCTAssertFalse(loop.valid)
        XCTAssertTrue(loop.reason?.contains("timeout after 1 s of CPU") ?? false, loop.reason ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        let wrong = w.evaluate(module: module(w, body: "entry:\n  ret void"), applied: 0)
        XCTAssertFalse(wrong.valid)
        XCTAssertTrue(wrong.reason?.contains("error") ?? false, wrong.reason ?? "")
        // Writes into its own inputs (a length), so its outputs change from call to call.
        let mutating = w.evaluate(module: module(w, body: "entry:\n  %n = load i32, i32* %ql\n  %f = sitofp i32 %n to float\n  store float %f, float* %out\n  %m = add i32 %n, 1\n  store i32 %m, i32* %ql\n  ret void"), applied: 0)
        XCTAssertFalse(mutating.valid)
        XCTAssertTrue(mutating.reason?.contains("outputs change from call to call") ?? false, mutating.reason ?? "")
        let broken = w.evaluate(module: module(w, body: "entry:\n  %x = add i32 %y, 1\n  %y = add i32 %x, 1\n  ret void"), applied: 0)
        XCTAssertFalse(broken.valid)
        XCTAssertTrue(broken.reason?.hasPrefix("verifier") ?? false, broken.reason ?? "")
        XCTAssertTrue(w.evaluate([]).valid, "the workspace still evaluates after failures")
    }

    /// The relative error: the largest absolute difference over the largest golden magnitude.
    func testRelativeError() {
        XCTAssertEqual(KernelWorkspace.relativeError([1, 2, 4], golden: [1, 2, 4]), 0)
        XCTAssertEqual(KernelWorkspace.relativeError([1, 2.5, 4], golden: [1, 2, 4]), 0.125)
        XCTAssertEqual(KernelWorkspace.relativeError([1, 2], golden: [1, 2, 4]), .infinity)
        XCTAssertEqual(KernelWorkspace.relativeError([1, .nan, 4], golden: [1, 2, 4]), .infinity)
    }

    /// The cache answers for the same edits in any order, and only for them.
    func testFitnessCacheKeysBySortedEdits() {
        var cache = FitnessCache()
        let a = Edit(.delete, 3, seed: 1), b = Edit(.swap, 5, 9, seed: 2), c = Edit(.operand, 4, operand: 1, seed: 3)
        let f = Fitness(valid: true, runtime: 123, error: 0.001, reason: nil, applied: 2)
        cache[[a, b]] = f
        XCTAssertEqual(cache[[b, a]], f)
        XCTAssertNil(cache[[a]])
        XCTAssertNil(cache[[a, c]])
        XCTAssertNil(cache[[a, Edit(.swap, 5, 9, seed: 4)]], "the seed is part of the edit")
        XCTAssertEqual(cache.count, 1)
    }
}
