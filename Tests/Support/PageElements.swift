import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The elements of an XHTML page read back with an XML parser: parsing at all shows the page
/// is well-formed; the elements let a test check its structure.
public final class PageElements: NSObject, XMLParserDelegate {
    public struct Element { public var name: String; public var attributes: [String: String]; public var text = "" }
    public private(set) var elements: [Element] = []
    private var open: [Int] = []
    public private(set) var error: Error?

    public init(_ html: String) {
        super.init()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError ?? CocoaError(.propertyListReadCorrupt) }
    }

    public func named(_ name: String) -> [Element] { elements.filter { $0.name == name } }

    public func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String]) {
        open.append(elements.count)
        elements.append(Element(name: name, attributes: attributes))
    }

    public func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    public func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = open.last { elements[i].text += string }
    }
}
