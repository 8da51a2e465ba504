// A small helper the counter and the stock count's page share to build their lists.

// An element with attributes ("text" sets its text) and children.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") { node.textContent = value; } else { node.setAttribute(name, value); }
  }
  node.append(...children);
  return node;
}
