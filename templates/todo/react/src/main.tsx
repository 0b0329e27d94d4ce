import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App';
import { configureBackend } from './backend';
import './index.css';

configureBackend();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
