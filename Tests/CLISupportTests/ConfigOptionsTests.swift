import ArgumentParser
import CLISupport
import XCTest

/// The shared option groups: --out is the same option as --run-dir, --set repeats.
final class ConfigOptionsTests: XCTestCase {
    func testOutIsAnAliasOfRunDir() throws {
        XCTAssertEqual(try RunFolderOptions.parse(["--out", "a"]).runDir, "a")
        XCTAssertEqual(try RunFolderOptions.parse(["--run-dir", "b"]).runDir, "b")
        XCTAssertNil(try RunFolderOptions.parse([]).runDir)
        XCTAssertThrowsError(try RunFolderOptions.parse([]).required())
    }

    func testSetRepeatsAndConfigIsOptionalUntilRequired() throws {
        let o = try ConfigOptions.parse(["--set", "a=1", "--config", "c.yaml", "--set", "b.c=[1, 2]"])
        XCTAssertEqual(o.overrides, ["a=1", "b.c=[1, 2]"])
        XCTAssertEqual(try o.required("the file"), "c.yaml")
        XCTAssertThrowsError(try ConfigOptions.parse([]).required("the sweep file")) { e in
            XCTAssertEqual("\(e)", "--config is required (the sweep file)")
        }
    }
}
