import { createApp } from 'vue';
import App from './App.vue';
import { configureBackend } from './backend';
import './index.css';

configureBackend();

createApp(App).mount('#app');
