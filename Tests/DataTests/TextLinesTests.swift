import Data
import Foundation
import XCTest

/// The one line reader: a file's lines read the same whatever its line ends,
/// byte-order mark or final newline, and an unreadable path says why in words.
final class TextLinesTests: XCTestCase {
    func testLineEndsByteOrderMarkAndFinalNewlineChangeNothing() {
        let lines = ["a,b", "", "c,d", "e"]
        for eol in ["\n", "\r\n"] {
            for bom in ["", "\u{FEFF}"] {
                for final in ["", eol] {
                    let text = bom + lines.joined(separator: eol) + final
                    XCTAssertEqual(TextLines.split(Array(text.utf8)).map(String.init), lines, "eol \(eol.debugDescription) bom \(!bom.isEmpty) final \(!final.isEmpty)")
                    XCTAssertEqual(TextLines.split(text).map(String.init), lines)
                }
            }
        }
        XCTAssertEqual(TextLines.split(""), [])
        XCTAssertEqual(TextLines.split("\n"), [""])
        XCTAssertEqual(TextLines.split("x\r"), ["x"])
    }

    func testUnreadablePathsSayWhyInWords() throws {
        let dir = (temporaryPath("x") as NSString).deletingLastPathComponent
        for (path, why) in [(dir, "it is a folder, not a file"), (dir + "/absent.csv", "no such file")] {
            XCTAssertThrowsError(try TextLines.read(path)) { e in
                XCTAssertEqual("\(e)", "\(path): cannot read: \(why)")
            }
        }
    }
}
