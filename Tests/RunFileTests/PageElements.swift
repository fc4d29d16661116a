import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import VAEPipeCore

/// The elements of an XHTML page read back with an XML parser: parsing at all shows the page
/// is well-formed; the elements let a test check its structure.
final class PageElements: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attributes: [String: String]; var text = "" }
    private(set) var elements: [Element] = []
    private var open: [Int] = []
    private(set) var error: Error?

    init(_ html: String) {
        super.init()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError ?? CocoaError(.propertyListReadCorrupt) }
    }

    func named(_ name: String) -> [Element] { elements.filter { $0.name == name } }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String]) {
        open.append(elements.count)
        elements.append(Element(name: name, attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = open.last { elements[i].text += string }
    }
}

/// Epoch reports as Trainer writes them to metrics.jsonl.
func epochReport(_ epoch: Int, loss: Double, test: Double? = nil) -> EpochReport {
    var fields: [String: Any] = [
        "epoch": epoch, "train_loss": loss, "train_reconstruction": loss * 0.8, "train_kl": loss * 0.2,
        "seconds": 2.5, "data_wait_seconds": 0, "forward_seconds": 1, "backward_seconds": 1,
        "optimizer_seconds": 0.5, "steps": 10, "examples_per_second": 4000,
    ]
    if let test { fields.merge(["test_neg_elbo": test, "test_reconstruction": test * 0.8, "test_kl": test * 0.2]) { $1 } }
    return try! JSONDecoder().decode(EpochReport.self, from: JSONSerialization.data(withJSONObject: fields))
}
