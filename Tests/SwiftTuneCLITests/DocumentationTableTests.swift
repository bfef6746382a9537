import Foundation
import Testing
@testable import swifttune

/// Documentation/CLI.md lists exactly the ms-swift names that ``MSSwiftOptions`` translates, and exactly the
/// unsupported ones.
@Suite("CLI documentation")
struct DocumentationTableTests {
    func section(_ marker: String) throws -> String {
        let text = try String(contentsOfFile: repositoryPath("Documentation/CLI.md"), encoding: .utf8)
        let start = try #require(text.range(of: "<!-- \(marker):start -->"), "no \(marker) start marker")
        let end = try #require(text.range(of: "<!-- \(marker):end -->"), "no \(marker) end marker")
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func commandNames(_ commands: Set<MSSwiftOptions.Command>) -> [String] {
        MSSwiftOptions.Command.allCases.filter(commands.contains).flatMap { $0 == .train ? ["pt", "sft"] : [$0.rawValue] }
    }

    @Test func aliasTableMatchesTheDocumentation() throws {
        var documented: [String] = []
        for line in try section("ms-swift-table").split(separator: "\n") where line.hasPrefix("| `--") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            documented.append("\(cells[1]) → \(cells[2]) [\(cells[3])]")
        }
        let table = MSSwiftOptions.table.map {
            "`--\($0.name)` → `\($0.target.documentation)` [\(Self.commandNames($0.commands).joined(separator: ", "))]"
        }
        let onlyDocumented = Set(documented).subtracting(table).sorted(), onlyInTable = Set(table).subtracting(documented).sorted()
        #expect(documented == table, "documented but not in the table: \(onlyDocumented); in the table but not documented: \(onlyInTable)")
    }

    @Test func unsupportedListMatchesTheDocumentation() throws {
        let text = try section("ms-swift-unsupported")
        let documented = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        let listed = MSSwiftOptions.unsupported.map { "`--\($0)`" }
        #expect(documented == listed, "documented only: \(Set(documented).subtracting(listed).sorted()); listed only: \(Set(listed).subtracting(documented).sorted())")
        #expect(Set(listed).count == listed.count, "duplicates in MSSwiftOptions.unsupported")
        // No name is both translated and unsupported, except rlhf-only names (loss_type means another thing in sft).
        #expect(Set(MSSwiftOptions.table.filter { $0.commands != [.rlhf] }.map(\.name)).isDisjoint(with: MSSwiftOptions.unsupported))
    }
}
