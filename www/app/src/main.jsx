import { createRoot } from 'react-dom/client';
import { App } from './App.jsx';
import './style.css';

// /config.json is written by the server that serves this page (www/run.mjs): where the paid API
// is, and which chain and token it is paid in.
const root = createRoot(document.getElementById('root'));
try {
  const response = await fetch('/config.json');
  if (!response.ok) throw new Error(`GET /config.json: HTTP ${response.status}`);
  root.render(<App config={await response.json()} />);
} catch (error) {
  root.render(<p className="error">This page is served by `node www/run.mjs` ({String(error.message ?? error)}).</p>);
}
