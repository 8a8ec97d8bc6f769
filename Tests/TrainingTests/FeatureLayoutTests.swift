import XCTest
import StrataTrainingFixtures
import Training

final class FeatureLayoutTests: XCTestCase {
    func testAblationsDropFeaturesAndNameUnknownOnes() throws {
        var c = TinyConfig.sequenceDLRM()
        let schema = try DataSources.load(c.data, seed: 1).source.schema
        let all = try FeatureLayout(schema: schema, model: c.model)
        XCTAssertEqual(all.features.map(\.name), ["item", "c0", "c1", "user", "history"])
        XCTAssertEqual(all.sequences.count, 1)
        c.model.excludeFeatures = ["user"]
        XCTAssertEqual(try FeatureLayout(schema: schema, model: c.model).features.map(\.name), ["item", "c0", "c1", "history"])
        c.model.useSequences = false
        XCTAssertEqual(try FeatureLayout(schema: schema, model: c.model).features.map(\.name), ["item", "c0", "c1"])
        c.model.excludeFeatures = ["usr"]
        XCTAssertThrowsError(try FeatureLayout(schema: schema, model: c.model)) {
            XCTAssertTrue("\($0)".contains("unknown feature 'usr'"), "\($0)")
        }
    }
}
