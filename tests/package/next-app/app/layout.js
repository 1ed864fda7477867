// The root layout Next requires for a page.
export default function RootLayout({ children }) {
  return <html lang="en"><body>{children}</body></html>;
}
