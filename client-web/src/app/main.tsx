// main.tsx - the entry of the browser app: renders the shell into <div id="app">.
import { render } from 'preact';
import { App } from './app';
import './app.css';

render(<App />, document.getElementById('app')!);
